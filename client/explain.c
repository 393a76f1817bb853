/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-calls.h"
#include "bus-dict.h"
#include "explain.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "protocol.h"
#include "strv.h"
#include "verdict-wire.h"

typedef struct Lookup {
        char *name, *type, *status;
        int rcode;
        int64_t ttl;            /* -1: not known */
        char **answer;
} Lookup;

typedef struct Explanation {
        Verdict *verdict;
        Lookup *lookups;
        size_t n_lookups;
        char **sources;         /* receiver, source, receiver, source, … */
} Explanation;

static void explanation_done(Explanation *x) {
        verdict_free(x->verdict);
        for (size_t i = 0; i < x->n_lookups; i++) {
                free(x->lookups[i].name);
                free(x->lookups[i].type);
                free(x->lookups[i].status);
                strv_free(x->lookups[i].answer);
        }
        free(x->lookups);
        strv_free(x->sources);
}

static int read_lookup_field(sd_bus_message *m, const char *key, const char *contents, void *userdata) {
        Lookup *l = userdata;
        uint32_t u;
        int r;

        if (streq(key, "answer"))
                return bus_dict_read_strv(m, contents, &l->answer);
        if (streq(key, "rcode") && streq(contents, "i"))
                return sd_bus_message_read(m, "v", "i", &l->rcode);
        if (streq(key, "ttl") && streq(contents, "u")) {
                r = sd_bus_message_read(m, "v", "u", &u);
                l->ttl = u;
                return r;
        }
        char **field = streq(key, "name") ? &l->name : streq(key, "type") ? &l->type :
                       streq(key, "status") ? &l->status : NULL;
        return field ? bus_dict_read_string(m, contents, field) : sd_bus_message_skip(m, "v");
}

static int read_lookups(sd_bus_message *m, Explanation *x) {
        int r;

        r = sd_bus_message_enter_container(m, 'v', "aa{sv}");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "a{sv}");
        while (r >= 0 && !sd_bus_message_at_end(m, false)) {
                Lookup *l = reallocarray(x->lookups, x->n_lookups + 1, sizeof(Lookup));
                if (!l)
                        return -ENOMEM;
                x->lookups = l;
                l = &x->lookups[x->n_lookups++];
                *l = (Lookup) { .ttl = -1 };
                r = bus_dict_read(m, read_lookup_field, l);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_sources(sd_bus_message *m, Explanation *x) {
        const char *k, *v;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a{ss}");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{ss}");
        while (r >= 0 && (r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0)
                if (strv_extend(&x->sources, k) < 0 || strv_extend(&x->sources, v) < 0)
                        return -ENOMEM;
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_explanation(sd_bus_message *m, Explanation *x) {
        const char *key;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "verdict")) {
                        r = sd_bus_message_enter_container(m, 'v', "a{sv}");
                        if (r >= 0)
                                r = verdict_read_bus(m, &x->verdict);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else if (streq(key, "lookups"))
                        r = read_lookups(m, x);
                else if (streq(key, "receiver_sources"))
                        r = read_sources(m, x);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0 && !x->verdict)
                r = -EBADMSG;
        return r;
}

/* Why one PTR name confirms, or not, from the lookups behind the verdict. */
static char *why_name(const Explanation *x, const char *name) {
        const Verdict *v = x->verdict;
        const char *family = v->address.family == AF_INET ? "A" : "AAAA";
        char addr[ADDRESS_STRING_MAX], *s = NULL;

        address_to_string(&v->address, addr);
        if (strv_contains(v->confirmed, name)) {
                (void) strextendf(&s, "confirms: its %s records hold %s", family, addr);
                return s;
        }
        for (size_t i = 0; i < x->n_lookups; i++) {
                const Lookup *l = &x->lookups[i];
                if (!l->name || !l->type || !streq(l->name, name) || !streq(l->type, family))
                        continue;
                if (streq(l->status ?: "", "answer")) {
                        _cleanup_free_ char *list = strv_join(l->answer, ", ");
                        (void) strextendf(&s, "does not confirm: its %s records hold %s, not %s", family,
                                          list ?: "?", addr);
                } else if (streq(l->status ?: "", "nxdomain") || streq(l->status ?: "", "nodata"))
                        (void) strextendf(&s, "does not confirm: it has no %s record (%s)", family, l->status);
                else
                        (void) strextendf(&s, "unknown: its %s lookup got no answer (%s)", family, l->status ?: "?");
                return s;
        }
        (void) strextendf(&s, "not asked: not a valid host name, or past the first 32 names");
        return s;
}

static void print_receivers(const Explanation *x) {
        const Prediction *p = x->verdict->receivers;

        printf("\nWhat receivers will do (mail from %s with HELO %s):\n", "this address",
               x->verdict->helo ? x->verdict->helo[0] : "(unknown)");
        for (Receiver r = 0; p && r < _RECEIVER_MAX; r++) {
                if (!p[r].known)
                        continue;
                if (receiver_is_scoring(r)) {
                        _cleanup_free_ char *rules = strv_join(p[r].rules, " ");
                        printf("  %-31s %s%s(+%.3g)\n", receiver_to_string(r), rules && *rules ? rules : "nothing",
                               rules && *rules ? " " : " ", p[r].score);
                } else
                        printf("  %-31s %-8s %s\n", receiver_to_string(r), receiver_action_to_string(p[r].action),
                               p[r].reply ?: p[r].note ?: "");
        }
        for (size_t i = 0; x->sources && x->sources[i] && x->sources[i + 1]; i += 2)
                printf("%s  %-31s source: %s\n", i == 0 ? "\nSources of the predictions:\n" : "", x->sources[i],
                       x->sources[i + 1]);
        /* where a scoring receiver's rules came from, and each that matched */
        for (Receiver r = 0; p && r < _RECEIVER_MAX; r++) {
                if (!p[r].known || !p[r].basis)
                        continue;
                if (streq(p[r].basis, "rules"))
                        printf("  %-31s rules: %s\n", receiver_to_string(r), p[r].source ?: "its own files");
                else
                        printf("  %-31s estimated: its rule files are not on this host\n", receiver_to_string(r));
                for (char **m = p[r].matched; m && *m; m++)
                        printf("  %-31s   matched %s\n", "", *m);
        }
}

static void print_human(const Explanation *x) {
        const Verdict *v = x->verdict;
        const char *reasons[_REASON_MAX + 1];
        _cleanup_free_ char *rs = strv_join(reasons_to_strv(v->reasons, reasons), ", ");
        char addr[ADDRESS_STRING_MAX];

        printf("%s: %s%s%s%s\n%s\n", address_to_string(&v->address, addr), verdict_kind_to_string(v->kind),
               rs && *rs ? " (" : "", rs ?: "", rs && *rs ? ")" : "", v->message ?: "");
        printf("\nLookups, in the order the answers came:\n");
        for (size_t i = 0; i < x->n_lookups; i++) {
                const Lookup *l = &x->lookups[i];
                _cleanup_free_ char *answer = strv_join(l->answer, ", ");
                char ttl[32] = "";
                if (l->ttl >= 0)
                        snprintf(ttl, sizeof ttl, "ttl %lld", (long long) l->ttl);
                printf("  %-4s %s: %s, rcode %d%s%s%s%s\n", l->type ?: "?", l->name ?: "?", l->status ?: "?", l->rcode,
                       *ttl ? ", " : "", ttl, answer && *answer ? ": " : "", answer ?: "");
        }
        if (v->ptr)
                printf("\nPTR names, in the order the resolver returned them (Postfix uses only the first):\n");
        for (char **n = v->ptr; n && *n; n++) {
                _cleanup_free_ char *why = why_name(x, *n);
                printf("  %s %s\n", *n, why ?: "");
        }
        print_receivers(x);
        if (v->authority) {
                _cleanup_free_ char *ns = strv_join(v->authority->nameservers, ", ");
                printf("\nWho can fix it: the %szone %s (name servers %s), contact %s%s%s%s\n",
                       v->authority->classless ? "RFC 2317 delegated " : "", v->authority->zone ?: "?",
                       ns && *ns ? ns : "unknown", v->authority->contact ?: "unknown",
                       v->authority->registry ? "; held by the registry " : "", v->authority->registry ?: "",
                       v->authority->registry ? ": the block is not delegated" : "");
                const char *ask = v->message ? strstr(v->message, "; ask ") : NULL;
                if (ask)
                        printf("What to ask for: %s\n", ask + 6);
        }
}

static void print_json(const Explanation *x) {
        JsonWriter w;

        json_init(&w, stdout, true);
        json_begin_object(&w);
        json_key(&w, "verdict");
        verdict_write_json(&w, x->verdict);
        json_key(&w, "lookups");
        json_begin_array(&w);
        for (size_t i = 0; i < x->n_lookups; i++) {
                const Lookup *l = &x->lookups[i];
                json_begin_object(&w);
                json_key(&w, "name");
                json_string(&w, l->name);
                json_key(&w, "type");
                json_string(&w, l->type);
                json_key(&w, "status");
                json_string(&w, l->status);
                json_key(&w, "rcode");
                json_integer(&w, l->rcode);
                json_key(&w, "ttl");
                if (l->ttl >= 0)
                        json_integer(&w, l->ttl);
                else
                        json_null(&w);
                json_key(&w, "answer");
                json_begin_array(&w);
                for (char **a = l->answer; a && *a; a++)
                        json_string(&w, *a);
                json_end_array(&w);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_key(&w, "names");
        json_begin_array(&w);
        for (char **n = x->verdict->ptr; n && *n; n++) {
                _cleanup_free_ char *why = why_name(x, *n);
                json_begin_object(&w);
                json_key(&w, "name");
                json_string(&w, *n);
                json_key(&w, "confirms");
                json_boolean(&w, strv_contains(x->verdict->confirmed, *n));
                json_key(&w, "why");
                json_string(&w, why);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_key(&w, "receiver_sources");
        json_begin_object(&w);
        for (size_t i = 0; x->sources && x->sources[i] && x->sources[i + 1]; i += 2) {
                json_key(&w, x->sources[i]);
                json_string(&w, x->sources[i + 1]);
        }
        json_end_object(&w);
        json_end_object(&w);
        json_finish(&w);
}

int explain_run(sd_bus *bus, const char *address, bool json) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Explanation x = {};
        int r, status;

        r = sd_bus_call_method(bus, BUS_NAME, BUS_PATH, BUS_INTERFACE, "Explain", &error, &reply, "s", address);
        if (r < 0)
                return -call_failed("Explain", &error, r);
        r = read_explanation(reply, &x);
        if (r < 0) {
                log_error_errno(r, "Malformed Explain reply from ptrwatchd");
                explanation_done(&x);
                return EXIT_UNKNOWN;
        }
        if (json)
                print_json(&x);
        else
                print_human(&x);
        status = verdict_kind_exit_status(x.verdict->kind);
        explanation_done(&x);
        return status;
}
