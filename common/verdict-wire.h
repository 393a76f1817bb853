/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-bus.h>

#include "json.h"
#include "verdict.h"

/* The wire format of a verdict object, the same in JSON and in D-Bus's
 * a{sv}: one table of keys (verdict-wire.c), each with its type, from which
 * the JSON writer, the D-Bus writer and the client's D-Bus reader are all
 * driven. A new key is one row. */

typedef enum WireType {
        WIRE_ADDRESS,           /* Address                  "s"   canonical text */
        WIRE_REVERSE_NAME,      /* from the address         "s"   written only */
        WIRE_KIND,              /* VerdictKind              "s" */
        WIRE_REASONS,           /* unsigned REASON_BIT()s   "as"  in Reason order */
        WIRE_STRING,            /* char *                   "s" */
        WIRE_STRV,              /* char **                  "as"  NULL is empty */
        WIRE_SECONDS,           /* usec_t                   "t"   whole seconds; JSON number */
        WIRE_TIME,              /* usec_t CLOCK_REALTIME    "t"   µs; JSON RFC 3339, null for 0 */
        WIRE_BOOL,              /* bool                     "b" */
        WIRE_RECEIVERS,         /* Prediction *             "a{sa{sv}}" receivers.h */
        WIRE_AUTHORITY,         /* Authority *              "a{sv}"  JSON null for none */
        _WIRE_TYPE_MAX,
} WireType;

typedef struct WireKey {
        const char *key;
        WireType type;
        size_t offset;          /* of the field in Verdict */
        const char *if_null;    /* WIRE_STRING: written for NULL */
} WireKey;

extern const WireKey verdict_wire_keys[];
extern const size_t verdict_wire_keys_count;

const char *wire_type_signature(WireType t);

void verdict_write_json(JsonWriter *w, const Verdict *v);
/* One a{sv}. */
int verdict_append_bus(sd_bus_message *m, const Verdict *v);
/* One a{sv} into a new Verdict; keys of a newer daemon are skipped.
 * Returns 0 at the end of the enclosing array, 1 with *ret set. */
int verdict_read_bus(sd_bus_message *m, Verdict **ret);
