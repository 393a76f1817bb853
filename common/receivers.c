/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-dict.h"
#include "macro.h"
#include "receivers.h"
#include "strv.h"

static const char * const receiver_names[_RECEIVER_MAX] = {
        [RECEIVER_POSTFIX_UNKNOWN_CLIENT]         = "postfix-unknown-client",
        [RECEIVER_POSTFIX_UNKNOWN_REVERSE_CLIENT] = "postfix-unknown-reverse-client",
        [RECEIVER_POSTFIX_INVALID_HELO]           = "postfix-invalid-helo",
        [RECEIVER_POSTFIX_NON_FQDN_HELO]          = "postfix-non-fqdn-helo",
        [RECEIVER_POSTFIX_UNKNOWN_HELO]           = "postfix-unknown-helo",
        [RECEIVER_GMAIL]                          = "gmail",
        [RECEIVER_YAHOO]                          = "yahoo",
        [RECEIVER_OUTLOOK]                        = "outlook",
        [RECEIVER_SPAMASSASSIN]                   = "spamassassin",
        [RECEIVER_RSPAMD]                         = "rspamd",
};

static const char * const action_names[_ACTION_MAX] = {
        [ACTION_NONE]     = "none",
        [ACTION_ACCEPT]   = "accept",
        [ACTION_TEMPFAIL] = "tempfail",
        [ACTION_REJECT]   = "reject",
};

const char *receiver_to_string(Receiver r) {
        return r < _RECEIVER_MAX ? receiver_names[r] : NULL;
}

int receiver_from_string(const char *s) {
        for (Receiver r = 0; r < _RECEIVER_MAX; r++)
                if (streq(receiver_names[r], s))
                        return (int) r;
        return -EINVAL;
}

const char *receiver_action_to_string(ReceiverAction a) {
        return a < _ACTION_MAX ? action_names[a] : NULL;
}

static int action_from_string(const char *s) {
        for (ReceiverAction a = 0; a < _ACTION_MAX; a++)
                if (streq(action_names[a], s))
                        return (int) a;
        return -EINVAL;
}

bool receiver_is_scoring(Receiver r) {
        return r == RECEIVER_SPAMASSASSIN || r == RECEIVER_RSPAMD;
}

/* SpamAssassin calls them rules, Rspamd symbols. */
static const char *rules_key(Receiver r) {
        return r == RECEIVER_RSPAMD ? "symbols" : "rules";
}

Prediction *predictions_new(void) {
        return calloc(_RECEIVER_MAX, sizeof(Prediction));
}

Prediction *predictions_free(Prediction *p) {
        for (size_t i = 0; p && i < _RECEIVER_MAX; i++) {
                free(p[i].reply);
                free(p[i].note);
                strv_free(p[i].rules);
                free(p[i].version);
                free(p[i].basis);
                free(p[i].source);
                strv_free(p[i].matched);
        }
        free(p);
        return NULL;
}

static int dup_or_null(char **dst, const char *src) {
        *dst = NULL;
        return !src || (*dst = strdup(src)) ? 0 : -ENOMEM;
}

Prediction *predictions_copy(const Prediction *p) {
        Prediction *c;

        if (!p || !(c = predictions_new()))
                return NULL;
        for (size_t i = 0; i < _RECEIVER_MAX; i++) {
                c[i] = (Prediction) { .known = p[i].known, .action = p[i].action, .score = p[i].score };
                if (dup_or_null(&c[i].reply, p[i].reply) < 0 || dup_or_null(&c[i].note, p[i].note) < 0 ||
                    dup_or_null(&c[i].version, p[i].version) < 0 || dup_or_null(&c[i].basis, p[i].basis) < 0 ||
                    dup_or_null(&c[i].source, p[i].source) < 0 ||
                    (p[i].rules && !(c[i].rules = strv_copy(p[i].rules))) ||
                    (p[i].matched && !(c[i].matched = strv_copy(p[i].matched))))
                        return predictions_free(c);
        }
        return c;
}

/* The reply's code ("450 4.7.25 …" → 450), 0 without one. */
static int reply_code(const char *reply) {
        int code = reply ? atoi(reply) : 0;
        return code >= 200 && code < 600 ? code : 0;
}

char *predictions_summary(const Prediction *p) {
        char *s = NULL;
        int postfix = 0;

        if (!p)
                return strdup("-");
        /* Postfix: the worst of its restrictions, as one receiver */
        for (Receiver r = RECEIVER_POSTFIX_UNKNOWN_CLIENT; r <= RECEIVER_POSTFIX_UNKNOWN_HELO; r++)
                if (p[r].known && p[r].action != ACTION_ACCEPT)
                        postfix = MAX(postfix, reply_code(p[r].reply));
        if (postfix && strextendf(&s, "postfix %d", postfix) < 0)
                goto oom;
        for (Receiver r = RECEIVER_GMAIL; r <= RECEIVER_OUTLOOK; r++) {
                char code[8];
                if (!p[r].known || p[r].action == ACTION_ACCEPT)
                        continue;
                snprintf(code, sizeof code, "%d", reply_code(p[r].reply));
                if (strextendf(&s, "%s%s %s", s ? ", " : "", receiver_names[r],
                               reply_code(p[r].reply) ? code : receiver_action_to_string(p[r].action)) < 0)
                        goto oom;
        }
        if (p[RECEIVER_SPAMASSASSIN].known && p[RECEIVER_SPAMASSASSIN].score > 0 &&
            strextendf(&s, "%sSA +%.1f", s ? ", " : "", p[RECEIVER_SPAMASSASSIN].score) < 0)
                goto oom;
        if (p[RECEIVER_RSPAMD].known && p[RECEIVER_RSPAMD].score > 0 &&
            strextendf(&s, "%srspamd +%.1f", s ? ", " : "", p[RECEIVER_RSPAMD].score) < 0)
                goto oom;
        return s ?: strdup("-");
oom:
        free(s);
        return NULL;
}

/* ---- JSON ---- */

void predictions_write_json(JsonWriter *w, const Prediction *p) {
        json_begin_object(w);
        for (Receiver r = 0; p && r < _RECEIVER_MAX; r++) {
                if (!p[r].known)
                        continue;
                json_key(w, receiver_names[r]);
                json_begin_object(w);
                if (!receiver_is_scoring(r)) {
                        json_key(w, "action");
                        json_string(w, action_names[p[r].action]);
                }
                if (p[r].reply) {
                        json_key(w, "reply");
                        json_string(w, p[r].reply);
                }
                if (p[r].note) {
                        json_key(w, "note");
                        json_string(w, p[r].note);
                }
                if (p[r].version) {
                        json_key(w, "version");
                        json_string(w, p[r].version);
                }
                if (receiver_is_scoring(r)) {
                        json_key(w, rules_key(r));
                        json_begin_array(w);
                        for (char **i = p[r].rules; i && *i; i++)
                                json_string(w, *i);
                        json_end_array(w);
                        json_key(w, "score");
                        json_decimal(w, p[r].score, 3);
                }
                if (p[r].basis) {
                        json_key(w, "basis");
                        json_string(w, p[r].basis);
                }
                if (p[r].source) {
                        json_key(w, "source");
                        json_string(w, p[r].source);
                }
                if (p[r].matched) {
                        json_key(w, "matched");
                        json_begin_array(w);
                        for (char **i = p[r].matched; *i; i++)
                                json_string(w, *i);
                        json_end_array(w);
                }
                json_end_object(w);
        }
        json_end_object(w);
}

/* ---- D-Bus ---- */

static int append_one(sd_bus_message *m, Receiver r, const Prediction *p) {
        int k;

        k = sd_bus_message_open_container(m, 'e', "sa{sv}");
        if (k >= 0)
                k = sd_bus_message_append(m, "s", receiver_names[r]);
        if (k >= 0)
                k = sd_bus_message_open_container(m, 'a', "{sv}");
        if (k >= 0 && !receiver_is_scoring(r))
                k = bus_dict_append(m, "action", "s", action_names[p->action]);
        if (k >= 0 && p->reply)
                k = bus_dict_append(m, "reply", "s", p->reply);
        if (k >= 0 && p->note)
                k = bus_dict_append(m, "note", "s", p->note);
        if (k >= 0 && p->version)
                k = bus_dict_append(m, "version", "s", p->version);
        if (k >= 0 && receiver_is_scoring(r))
                k = bus_dict_append_strv(m, rules_key(r), p->rules);
        if (k >= 0 && receiver_is_scoring(r))
                k = bus_dict_append(m, "score", "d", p->score);
        if (k >= 0 && p->basis)
                k = bus_dict_append(m, "basis", "s", p->basis);
        if (k >= 0 && p->source)
                k = bus_dict_append(m, "source", "s", p->source);
        if (k >= 0 && p->matched)
                k = bus_dict_append_strv(m, "matched", p->matched);
        if (k >= 0)
                k = sd_bus_message_close_container(m);
        if (k >= 0)
                k = sd_bus_message_close_container(m);
        return k;
}

int predictions_append_bus(sd_bus_message *m, const Prediction *p) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sa{sv}}");
        for (Receiver i = 0; r >= 0 && p && i < _RECEIVER_MAX; i++)
                if (p[i].known)
                        r = append_one(m, i, &p[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* One {sv} of a receiver's a{sv}. */
static int read_field(sd_bus_message *m, const char *key, const char *contents, void *userdata) {
        Prediction *p = userdata;
        _cleanup_free_ char *action = NULL;
        int r, a;

        if (streq(key, "rules") || streq(key, "symbols"))
                return bus_dict_read_strv(m, contents, &p->rules);
        if (streq(key, "score") && streq(contents, "d"))
                return sd_bus_message_read(m, "v", "d", &p->score);
        if (streq(key, "reply"))
                return bus_dict_read_string(m, contents, &p->reply);
        if (streq(key, "note"))
                return bus_dict_read_string(m, contents, &p->note);
        if (streq(key, "version"))
                return bus_dict_read_string(m, contents, &p->version);
        if (streq(key, "basis"))
                return bus_dict_read_string(m, contents, &p->basis);
        if (streq(key, "source"))
                return bus_dict_read_string(m, contents, &p->source);
        if (streq(key, "matched"))
                return bus_dict_read_strv(m, contents, &p->matched);
        if (!streq(key, "action"))
                return sd_bus_message_skip(m, "v");
        r = bus_dict_read_string(m, contents, &action);
        if (r >= 0 && action) {
                a = action_from_string(action);
                p->action = a < 0 ? ACTION_NONE : (ReceiverAction) a;
        }
        return r;
}

static int read_one(sd_bus_message *m, Prediction *all) {
        Prediction scratch = {}, *p;
        const char *name;
        int r, i;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        i = receiver_from_string(name);
        p = i >= 0 ? &all[i] : &scratch;        /* a newer daemon's receiver: read, not kept */
        p->known = true;
        r = bus_dict_read(m, read_field, p);
        free(scratch.reply);
        free(scratch.note);
        free(scratch.version);
        free(scratch.basis);
        free(scratch.source);
        strv_free(scratch.rules);
        strv_free(scratch.matched);
        return r;
}

int predictions_read_bus(sd_bus_message *m, Prediction **ret) {
        Prediction *p = predictions_new();
        int r;

        if (!p)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                r = read_one(m, p);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                predictions_free(p);
                return r;
        }
        *ret = p;
        return 0;
}
