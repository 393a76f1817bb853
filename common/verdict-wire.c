/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "bus-dict.h"
#include "macro.h"
#include "strv.h"
#include "verdict-wire.h"

#define KEY(name_, type_, field_, ...) { .key = name_, .type = type_, .offset = offsetof(Verdict, field_), __VA_ARGS__ }

/* The contract's verdict object, in the order it is written. */
const WireKey verdict_wire_keys[] = {
        KEY("address",      WIRE_ADDRESS,      address),
        KEY("reverse_name", WIRE_REVERSE_NAME, address),
        KEY("verdict",      WIRE_KIND,         kind),
        KEY("reasons",      WIRE_REASONS,      reasons),
        KEY("ptr",          WIRE_STRV,         ptr),
        KEY("confirmed",    WIRE_STRV,         confirmed),
        KEY("helo",         WIRE_STRV,         helo),
        KEY("sources",      WIRE_STRV,         sources),
        KEY("receivers",    WIRE_RECEIVERS,    receivers),
        KEY("authority",    WIRE_AUTHORITY,    authority),
        KEY("message",      WIRE_STRING,       message, .if_null = "not checked yet"),
        KEY("ttl",          WIRE_SECONDS,      ttl),
        KEY("checked_at",   WIRE_TIME,         checked_at),
        KEY("expires_at",   WIRE_TIME,         expires_at),
        KEY("stale",        WIRE_BOOL,         stale),
        KEY("watched",      WIRE_BOOL,         watched),
        KEY("resolver_stale", WIRE_BOOL,       resolver_stale),
        KEY("resolver_expires_at", WIRE_TIME,  resolver_expires_at),
};
const size_t verdict_wire_keys_count = ELEMENTSOF(verdict_wire_keys);

static const char * const wire_signatures[_WIRE_TYPE_MAX] = {
        [WIRE_ADDRESS]      = "s",
        [WIRE_REVERSE_NAME] = "s",
        [WIRE_KIND]         = "s",
        [WIRE_REASONS]      = "as",
        [WIRE_STRING]       = "s",
        [WIRE_STRV]         = "as",
        [WIRE_SECONDS]      = "t",
        [WIRE_TIME]         = "t",
        [WIRE_BOOL]         = "b",
        [WIRE_RECEIVERS]    = "a{sa{sv}}",
        [WIRE_AUTHORITY]    = "a{sv}",
};

const char *wire_type_signature(WireType t) {
        return t < _WIRE_TYPE_MAX ? wire_signatures[t] : NULL;
}

#define FIELD(v, k, type) ((type *) ((uint8_t *) (v) + (k)->offset))
#define CFIELD(v, k, type) ((type const *) ((const uint8_t *) (v) + (k)->offset))

/* ---- JSON ---- */

static void write_json_value(JsonWriter *w, const WireKey *k, const Verdict *v) {
        char buf[MAX3(ADDRESS_STRING_MAX, REVERSE_NAME_MAX, RFC3339_MAX)];
        unsigned reasons;
        usec_t t;

        switch (k->type) {
        case WIRE_ADDRESS:
                json_string(w, address_to_string(CFIELD(v, k, Address), buf));
                break;
        case WIRE_REVERSE_NAME:
                address_reverse_name(CFIELD(v, k, Address), buf);
                json_string(w, buf);
                break;
        case WIRE_KIND:
                json_string(w, verdict_kind_to_string(*CFIELD(v, k, VerdictKind)));
                break;
        case WIRE_REASONS:
                reasons = *CFIELD(v, k, unsigned);
                json_begin_array(w);
                for (Reason r = 0; r < _REASON_MAX; r++)
                        if (reasons & REASON_BIT(r))
                                json_string(w, reason_to_string(r));
                json_end_array(w);
                break;
        case WIRE_STRING:
                json_string(w, *CFIELD(v, k, char *) ?: k->if_null);
                break;
        case WIRE_STRV:
                json_begin_array(w);
                for (char * const *p = *CFIELD(v, k, char **); p && *p; p++)
                        json_string(w, *p);
                json_end_array(w);
                break;
        case WIRE_SECONDS:
                json_integer(w, (int64_t) (*CFIELD(v, k, usec_t) / USEC_PER_SEC));
                break;
        case WIRE_TIME:
                t = *CFIELD(v, k, usec_t);
                if (t > 0)
                        json_string(w, format_rfc3339(buf, t));
                else
                        json_null(w);
                break;
        case WIRE_BOOL:
                json_boolean(w, *CFIELD(v, k, bool));
                break;
        case WIRE_RECEIVERS:
                predictions_write_json(w, *CFIELD(v, k, Prediction *));
                break;
        case WIRE_AUTHORITY:
                authority_write_json(w, *CFIELD(v, k, Authority *));
                break;
        default:
                json_null(w);
        }
}

void verdict_write_json(JsonWriter *w, const Verdict *v) {
        json_begin_object(w);
        for (size_t i = 0; i < verdict_wire_keys_count; i++) {
                json_key(w, verdict_wire_keys[i].key);
                write_json_value(w, &verdict_wire_keys[i], v);
        }
        json_end_object(w);
}

/* ---- D-Bus: writing ---- */

static int append_bus_value(sd_bus_message *m, const WireKey *k, const Verdict *v) {
        char buf[MAX(ADDRESS_STRING_MAX, REVERSE_NAME_MAX)];
        const char *reasons[_REASON_MAX + 1];
        char *empty[] = { NULL };
        char * const *l;
        uint64_t t;
        int b;

        /* sd_bus_message_append_basic(): no format string to parse, per key of every reply */
        switch (k->type) {
        case WIRE_ADDRESS:
                return sd_bus_message_append_basic(m, 's', address_to_string(CFIELD(v, k, Address), buf));
        case WIRE_REVERSE_NAME:
                address_reverse_name(CFIELD(v, k, Address), buf);
                return sd_bus_message_append_basic(m, 's', buf);
        case WIRE_KIND:
                return sd_bus_message_append_basic(m, 's', verdict_kind_to_string(*CFIELD(v, k, VerdictKind)));
        case WIRE_REASONS:
                return sd_bus_message_append_strv(m, reasons_to_strv(*CFIELD(v, k, unsigned), reasons));
        case WIRE_STRING:
                return sd_bus_message_append_basic(m, 's', *CFIELD(v, k, char *) ?: k->if_null);
        case WIRE_STRV:
                l = *CFIELD(v, k, char **);
                return sd_bus_message_append_strv(m, (char **) (l ?: empty));
        case WIRE_SECONDS:
                t = *CFIELD(v, k, usec_t) / USEC_PER_SEC;
                return sd_bus_message_append_basic(m, 't', &t);
        case WIRE_TIME:
                t = *CFIELD(v, k, usec_t);
                return sd_bus_message_append_basic(m, 't', &t);
        case WIRE_BOOL:
                b = *CFIELD(v, k, bool);
                return sd_bus_message_append_basic(m, 'b', &b);
        case WIRE_RECEIVERS:
                return predictions_append_bus(m, *CFIELD(v, k, Prediction *));
        case WIRE_AUTHORITY:
                return authority_append_bus(m, *CFIELD(v, k, Authority *));
        default:
                return -EINVAL;
        }
}

int verdict_append_bus(sd_bus_message *m, const Verdict *v) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        for (size_t i = 0; r >= 0 && i < verdict_wire_keys_count; i++) {
                const WireKey *k = &verdict_wire_keys[i];

                r = bus_dict_open_entry(m, k->key, wire_type_signature(k->type));
                if (r >= 0)
                        r = append_bus_value(m, k, v);
                if (r >= 0)
                        r = bus_dict_close_entry(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* ---- D-Bus: reading (the client) ---- */

/* The keys whose value is a list of strings: as. */
static int read_bus_list(sd_bus_message *m, const WireKey *k, Verdict *v) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = sd_bus_message_read_strv(m, &l);
        if (r < 0)
                return r;
        if (k->type == WIRE_REASONS) {
                for (char **i = l; i && *i; i++) {
                        r = reason_from_string(*i);
                        if (r >= 0)     /* a newer daemon's reason: not ours to show */
                                *FIELD(v, k, unsigned) |= REASON_BIT(r);
                }
                return 0;
        }
        if (l && !l[0])         /* the model keeps an empty list as NULL */
                l = strv_free(l);
        strv_free(*FIELD(v, k, char **));
        *FIELD(v, k, char **) = TAKE_PTR(l);
        return 0;
}

/* The keys whose value is a dictionary of its own: authority, receivers. */
static int read_bus_object(sd_bus_message *m, const WireKey *k, Verdict *v) {
        int r;

        if (k->type == WIRE_AUTHORITY) {
                Authority *a = NULL;
                r = authority_read_bus(m, &a);
                if (r < 0)
                        return r;
                authority_free(*FIELD(v, k, Authority *));
                *FIELD(v, k, Authority *) = a;
                return 0;
        }
        Prediction *p = NULL;
        r = predictions_read_bus(m, &p);
        if (r < 0)
                return r;
        predictions_free(*FIELD(v, k, Prediction *));
        *FIELD(v, k, Prediction *) = p;
        return 0;
}

static int read_bus_value(sd_bus_message *m, const WireKey *k, Verdict *v) {
        const char *s;
        uint64_t t;
        int b, r;

        switch (k->type) {
        case WIRE_ADDRESS:
                r = sd_bus_message_read(m, "s", &s);
                if (r < 0)
                        return r;
                return address_parse(s, FIELD(v, k, Address), NULL) < 0 ? -EBADMSG : 0;
        case WIRE_REVERSE_NAME:
                return sd_bus_message_skip(m, "s");
        case WIRE_KIND:
                r = sd_bus_message_read(m, "s", &s);
                if (r < 0)
                        return r;
                r = verdict_kind_from_string(s);
                *FIELD(v, k, VerdictKind) = r < 0 ? VERDICT_UNKNOWN : (VerdictKind) r;
                return 0;
        case WIRE_REASONS:
        case WIRE_STRV:
                return read_bus_list(m, k, v);
        case WIRE_STRING:
                r = sd_bus_message_read(m, "s", &s);
                if (r < 0)
                        return r;
                free(*FIELD(v, k, char *));
                *FIELD(v, k, char *) = strdup(s);
                return *FIELD(v, k, char *) ? 0 : -ENOMEM;
        case WIRE_SECONDS:
        case WIRE_TIME:
                r = sd_bus_message_read(m, "t", &t);
                if (r < 0)
                        return r;
                *FIELD(v, k, usec_t) = k->type == WIRE_SECONDS ? t * USEC_PER_SEC : t;
                return 0;
        case WIRE_BOOL:
                r = sd_bus_message_read(m, "b", &b);
                if (r < 0)
                        return r;
                *FIELD(v, k, bool) = b;
                return 0;
        case WIRE_AUTHORITY:
        case WIRE_RECEIVERS:
                return read_bus_object(m, k, v);
        default:
                return -EINVAL;
        }
}

static const WireKey *wire_key_find(const char *key) {
        for (size_t i = 0; i < verdict_wire_keys_count; i++)
                if (streq(verdict_wire_keys[i].key, key))
                        return &verdict_wire_keys[i];
        return NULL;
}

static int read_bus_entry(sd_bus_message *m, Verdict *v) {
        const WireKey *k;
        const char *key;
        int r;

        r = sd_bus_message_read(m, "s", &key);
        if (r < 0)
                return r;
        k = wire_key_find(key);
        if (!k)
                return sd_bus_message_skip(m, "v");     /* a newer daemon's key */
        r = sd_bus_message_enter_container(m, 'v', wire_type_signature(k->type));
        if (r < 0)
                return r;
        r = read_bus_value(m, k, v);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int verdict_read_bus(sd_bus_message *m, Verdict **ret) {
        _cleanup_(verdict_freep) Verdict *v = NULL;
        Address none = { .family = AF_INET };
        int r;

        v = verdict_new(&none);
        if (!v)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r <= 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = read_bus_entry(m, v);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 1;
}
