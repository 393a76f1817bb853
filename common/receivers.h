/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "json.h"

/* What each receiver is predicted to do with mail from an address: the
 * verdict object's "receivers". The predictions themselves are the daemon's
 * (daemon/check/receivers-predict.c, one table citing each source); this is the model and
 * its wire form, shared with the client. */

typedef enum Receiver {
        RECEIVER_POSTFIX_UNKNOWN_CLIENT,
        RECEIVER_POSTFIX_UNKNOWN_REVERSE_CLIENT,
        RECEIVER_POSTFIX_INVALID_HELO,
        RECEIVER_POSTFIX_NON_FQDN_HELO,
        RECEIVER_POSTFIX_UNKNOWN_HELO,
        RECEIVER_GMAIL,
        RECEIVER_YAHOO,
        RECEIVER_OUTLOOK,
        RECEIVER_SPAMASSASSIN,
        RECEIVER_RSPAMD,
        _RECEIVER_MAX,
} Receiver;

typedef enum ReceiverAction {
        ACTION_NONE,            /* a scoring receiver: rules and score instead */
        ACTION_ACCEPT,
        ACTION_TEMPFAIL,        /* 4xx */
        ACTION_REJECT,          /* 5xx */
        _ACTION_MAX,
} ReceiverAction;

typedef struct Prediction {
        bool known;             /* predicted at all (a HELO check needs a HELO name, …) */
        ReceiverAction action;
        char *reply;            /* the SMTP reply, when not accept and documented */
        char *note;             /* requirement receivers: one line */
        char **rules;           /* SpamAssassin rules, Rspamd symbols, that hit */
        double score;           /* their summed default score */
        char *version;          /* the receiver version the prediction encodes */
        char *basis;            /* scoring receivers: "rules" (their own rule files, read) or "estimated" */
        char *source;           /* with "rules": which files, and the engine's version */
        char **matched;         /* with "rules": each hit as "RULE FILE:LINE" */
} Prediction;

/* An array of _RECEIVER_MAX, filled by its maker and never changed after:
 * a copy is the same array, counted; free drops one reference. */
Prediction *predictions_new(void);
Prediction *predictions_free(Prediction *p);
Prediction *predictions_copy(const Prediction *p);
/* The one array equal to p, shared with every holder of an equal one
 * (p's reference passes to it): the daemon holds each distinct set of
 * predictions once, however many addresses share it. */
Prediction *predictions_intern(Prediction *p);

const char *receiver_to_string(Receiver r);
int receiver_from_string(const char *s);
const char *receiver_action_to_string(ReceiverAction a);
/* The receivers whose prediction has rules and a score, not an action. */
bool receiver_is_scoring(Receiver r);

/* "postfix 450, gmail 550, SA +1.3": the table's short column. */
char *predictions_summary(const Prediction *p);

/* JSON: {"postfix-unknown-client": {"action": "tempfail", "reply": "…"}, …};
 * D-Bus: a{sa{sv}} with the same keys. NULL: an empty object. */
void predictions_write_json(JsonWriter *w, const Prediction *p);
int predictions_append_bus(sd_bus_message *m, const Prediction *p);
int predictions_read_bus(sd_bus_message *m, Prediction **ret);
