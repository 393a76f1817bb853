/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getdns/getdns.h>
#include <stdlib.h>

#include "authority-lookup.h"
#include "checker.h"
#include "receivers-predict.h"
#include "zone-check.h"
#include "hostname.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

typedef struct Check Check;

/* One forward lookup, pointing back at its check. */
typedef struct Forward {
        Check *check;
        size_t index;           /* into ptr.names */
} Forward;

/* One HELO name's lookups (A, AAAA, MX: Postfix's reject_unknown_helo_hostname). */
typedef struct HeloLookup {
        Check *check;
        DnsReply reply[_HELO_LOOKUP_MAX];
        bool asked;
} HeloLookup;

typedef struct HeloQuery {
        HeloLookup *lookup;
        int which;              /* HELO_LOOKUP_* */
} HeloQuery;

struct Check {
        Checker *checker;
        Check *prev, *next;
        Address address;
        DnsReply ptr;
        DnsReply *forward;      /* one per PTR name */
        DnsReply **forward_by_name;     /* NULL where not asked */
        Forward *lookups;
        size_t n_lookups;
        Verdict *fallback;      /* made up front: reported if evaluating fails */
        Verdict *first;         /* a negative verdict, while its answers are asked again */
        char **helo;            /* the HELO names to check with */
        Verdict *final;         /* a warn or fail, while who holds its zone is asked */
        trace_hook_t trace;     /* told of every answer (explain), or NULL */
        bool ask_zone;          /* a fail is asked of the zone's own server too */
        void *trace_userdata;
        AuthorityLookup *authority;
        ZoneCheck *zone_check;
        HeloLookup *helo_lookups;       /* one per HELO name */
        HeloQuery *helo_queries;        /* _HELO_LOOKUP_MAX per HELO name */
        size_t n_pending;
        checker_callback_t callback;
        void *userdata;
};

/* Name servers that did not answer a direct question lately: not asked
 * again for a while (a host may reach only its resolver). */
#define ZONE_SILENT_MAX 16
#define ZONE_SILENT_USEC (5 * USEC_PER_MINUTE)

struct Checker {
        struct {
                char *ns;
                usec_t until;           /* CLOCK_MONOTONIC */
        } silent[ZONE_SILENT_MAX];
        unsigned next_silent;
        Resolver *resolver;
        const VerdictPolicy *policy;
        Check *checks;
        size_t n_checks;
};

static Check *check_free(Check *k) {
        size_t n;

        if (!k)
                return NULL;
        n = strv_length(k->ptr.names);
        for (size_t i = 0; k->forward && i < n; i++)
                dns_reply_done(&k->forward[i]);
        free(k->forward);
        free(k->forward_by_name);
        free(k->lookups);
        verdict_free(k->fallback);
        verdict_free(k->first);
        verdict_free(k->final);
        authority_lookup_free(k->authority);
        zone_check_free(k->zone_check);
        dns_reply_done(&k->ptr);
        for (size_t i = 0; k->helo_lookups && i < strv_length(k->helo); i++)
                for (int j = 0; j < _HELO_LOOKUP_MAX; j++)
                        dns_reply_done(&k->helo_lookups[i].reply[j]);
        free(k->helo_lookups);
        free(k->helo_queries);
        strv_free(k->helo);
        free(k);
        return NULL;
}

static void check_unlink(Check *k) {
        Checker *c = k->checker;

        if (k->prev)
                k->prev->next = k->next;
        else
                c->checks = k->next;
        if (k->next)
                k->next->prev = k->prev;
        c->n_checks--;
}

static void on_ptr_reply(Resolver *r, DnsReply *reply, void *userdata);

/* A fail is asked again, the whole check: the PTR, then its names' forward
 * lookups. It rests on negative answers (no PTR, names that do not resolve
 * back) or on what a PTR record says (an invalid name): one lost, corrupted
 * or forged datagram could give either, and a corrupted PTR name would
 * resolve to nothing twice. Returns true when the question went out. */
static bool check_ask_again(Check *k) {
        char rname[REVERSE_NAME_MAX];
        size_t n = strv_length(k->ptr.names);

        for (size_t i = 0; k->forward && i < n; i++)
                dns_reply_done(&k->forward[i]);
        k->forward = mfree(k->forward);
        k->forward_by_name = mfree(k->forward_by_name);
        k->lookups = mfree(k->lookups);
        k->n_lookups = 0;
        dns_reply_done(&k->ptr);
        address_reverse_name(&k->address, rname);
        if (resolver_query_first(k->checker->resolver, rname, GETDNS_RRTYPE_PTR, on_ptr_reply, k) < 0)
                return false;
        k->n_pending = 1;
        return true;
}

/* The same names, in any order: resolvers rotate an RRset's records. */
static bool strv_same_set(char * const *a, char * const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strv_contains(b, a[i]) || !strv_contains(a, b[i]))
                        return false;
        return true;
}

/* The two rounds agree on the verdict, its reasons and the PTR names: the
 * second stands. Else one of the answers was not what the resolver holds
 * (lost, corrupted, forged): nothing was learned. */
static int check_settle(Check *k, Verdict **v) {
        _cleanup_(verdict_freep) Verdict *first = TAKE_PTR(k->first);
        Verdict *second = *v;

        if (second->kind == first->kind && second->reasons == first->reasons && strv_same_set(first->ptr, second->ptr))
                return 0;

        /* the second round's own sentence is quoted, so it is taken first */
        _cleanup_free_ char *then = TAKE_PTR(second->message);
        if (strextendf(&second->message, "DNS answered differently when asked twice (first: %s, then: %s); "
                       "nothing counts until it answers the same", first->message ?: verdict_kind_to_string(first->kind),
                       then ?: verdict_kind_to_string(second->kind)) < 0)
                return -ENOMEM;
        second->kind = VERDICT_TEMPERROR;
        second->reasons = REASON_BIT(REASON_SERVFAIL);
        second->ttl = VERDICT_RETRY_MIN_USEC;
        second->expires_at = second->checked_at + second->ttl;
        /* a temperror's predictions: only what rests on the same DNS */
        return receivers_predict(second, k->checker->policy->rules, NULL);
}

/* The verdict is made: to the caller, and the check goes. */
static void check_deliver(Check *k, Verdict *v) {
        check_unlink(k);
        k->callback(v, k->userdata);
        check_free(k);
}

static bool zone_server_silent(Checker *c, const char *ns) {
        usec_t t = now(CLOCK_MONOTONIC);

        for (size_t i = 0; i < ZONE_SILENT_MAX; i++)
                if (c->silent[i].ns && streq(c->silent[i].ns, ns) && t < c->silent[i].until)
                        return true;
        return false;
}

static void zone_server_mark_silent(Checker *c, const char *ns) {
        size_t i = c->next_silent++ % ZONE_SILENT_MAX;

        free(c->silent[i].ns);
        c->silent[i].ns = strdup(ns);
        c->silent[i].until = now(CLOCK_MONOTONIC) + ZONE_SILENT_USEC;
}

/* Resolver or zone: the zone's own server answers otherwise. */
static void on_zone_checked(ZoneCheck *z, int differs, const char *server, void *userdata) {
        Check *k = userdata;
        Verdict *v = TAKE_PTR(k->final);

        if (differs < 0)
                zone_server_mark_silent(k->checker, v->authority->nameservers[0]);
        if (differs > 0) {
                char t[RFC3339_MAX];
                v->resolver_stale = true;
                v->resolver_expires_at = v->checked_at + (k->ptr.has_ttl ? k->ptr.ttl : 0) * USEC_PER_SEC;
                if (strextendf(&v->message, "; but the zone's own server %s already answers otherwise: the "
                               "resolver serves an old copy until %s, and the fix shows then", server,
                               format_rfc3339(t, v->resolver_expires_at)) < 0)
                        log_error("Out of memory");
        }
        check_deliver(k, v);
}

static void on_authority_found(Authority *a, void *userdata) {
        Check *k = userdata;
        Verdict *v = k->final;
        char rname[REVERSE_NAME_MAX];

        v->authority = a;
        address_reverse_name(&k->address, rname);
        if (authority_describe(v, k->ptr.cname_end ?: rname) < 0)
                log_error("Out of memory saying who holds the reverse zone");
        /* a fail: is it the zone's, or an old copy at the resolver? */
        if (k->ask_zone && v->kind == VERDICT_FAIL && a && a->nameservers &&
            !zone_server_silent(k->checker, a->nameservers[0]) &&
            zone_check_start(k->checker->resolver, a->nameservers[0], k->ptr.cname_end ?: rname, GETDNS_RRTYPE_PTR,
                             &k->ptr, on_zone_checked, k, &k->zone_check) >= 0)
                return;
        check_deliver(k, TAKE_PTR(k->final));
}

/* A warn or fail says who can fix it: ask who holds the reverse zone. */
static bool check_ask_authority(Check *k, Verdict *v) {
        char rname[REVERSE_NAME_MAX];

        if (v->kind != VERDICT_WARN && v->kind != VERDICT_FAIL)
                return false;
        address_reverse_name(&k->address, rname);
        k->final = v;
        if (authority_lookup_start(k->checker->resolver, &k->ptr, rname, on_authority_found, k, &k->authority) < 0) {
                k->final = NULL;
                return false;
        }
        authority_lookup_set_trace(k->authority, k->trace, k->trace_userdata);
        return true;
}

static void check_finish(Check *k) {
        usec_t t = now(CLOCK_REALTIME);
        Verdict *v = NULL;
        int r;

        size_t n_helo = strv_length(k->helo);
        HeloAnswers helo[n_helo + 1];

        for (size_t i = 0; i < n_helo; i++) {
                helo[i] = (HeloAnswers) { .name = k->helo[i] };
                for (int j = 0; k->helo_lookups[i].asked && j < _HELO_LOOKUP_MAX; j++)
                        helo[i].reply[j] = &k->helo_lookups[i].reply[j];
        }
        r = verdict_evaluate(&k->address, &k->ptr, (const DnsReply * const *) k->forward_by_name,
                             helo, n_helo, k->checker->policy, t, &v);
        if (r >= 0 && !k->first && v->kind == VERDICT_FAIL) {
                k->first = v;
                if (check_ask_again(k))
                        return;
                v = TAKE_PTR(k->first);         /* could not ask: the answer stands as it is */
        } else if (r >= 0 && k->first) {
                r = check_settle(k, &v);
                if (r < 0)
                        v = verdict_free(v);
        }
        if (r >= 0 && check_ask_authority(k, v))
                return;
        if (r < 0) {
                /* Out of memory: a temperror, retried with backoff, never a
                 * definitive verdict that would be saved or re-checked at once. */
                char a[ADDRESS_STRING_MAX];
                log_error_errno(r, "Failed to evaluate the verdict for %s", address_to_string(&k->address, a));
                v = TAKE_PTR(k->fallback);
                v->checked_at = t;
                v->ttl = VERDICT_RETRY_MIN_USEC;
                v->expires_at = t + v->ttl;
        }
        check_deliver(k, v);
}


/* One answer fewer to wait for: PTR, forward and HELO answers alike. */
static void check_answered(Check *k) {
        if (--k->n_pending == 0)
                check_finish(k);
}

static void check_trace(Check *k, const char *name, uint16_t type, const DnsReply *reply) {
        if (k->trace)
                k->trace(k->trace_userdata, name, type, reply);
}

static void on_forward_reply(Resolver *r, DnsReply *reply, void *userdata) {
        Forward *f = userdata;
        Check *k = f->check;

        check_trace(k, k->ptr.names[f->index], k->address.family == AF_INET ? GETDNS_RRTYPE_A : GETDNS_RRTYPE_AAAA,
                    reply);
        k->forward[f->index] = *reply;
        *reply = (DnsReply) {};
        k->forward_by_name[f->index] = &k->forward[f->index];
        check_answered(k);
}

static void on_helo_reply(Resolver *r, DnsReply *reply, void *userdata) {
        static const uint16_t types[_HELO_LOOKUP_MAX] = { GETDNS_RRTYPE_A, GETDNS_RRTYPE_AAAA, GETDNS_RRTYPE_MX };
        HeloQuery *q = userdata;
        Check *k = q->lookup->check;

        check_trace(k, k->helo[q->lookup - k->helo_lookups], types[q->which], reply);
        q->lookup->reply[q->which] = *reply;
        *reply = (DnsReply) {};
        check_answered(q->lookup->check);
}

static int check_alloc_helo(Check *k) {
        size_t n = strv_length(k->helo);

        if (n == 0)
                return 0;
        k->helo_lookups = calloc(n, sizeof(HeloLookup));
        k->helo_queries = calloc(n * _HELO_LOOKUP_MAX, sizeof(HeloQuery));
        return k->helo_lookups && k->helo_queries ? 0 : -ENOMEM;
}

/* The HELO names' lookups go out with the PTR question; the second round of
 * a fail does not ask them again. One that cannot be queued is no answer. */
static void check_ask_helo(Check *k) {
        static const uint16_t types[_HELO_LOOKUP_MAX] = {
                [HELO_LOOKUP_A] = GETDNS_RRTYPE_A,
                [HELO_LOOKUP_AAAA] = GETDNS_RRTYPE_AAAA,
                [HELO_LOOKUP_MX] = GETDNS_RRTYPE_MX,
        };
        size_t n = strv_length(k->helo);

        for (size_t i = 0; i < n; i++) {
                k->helo_lookups[i].check = k;
                if (!helo_needs_lookup(k->helo[i]))
                        continue;
                k->helo_lookups[i].asked = true;
                for (int j = 0; j < _HELO_LOOKUP_MAX; j++) {
                        HeloQuery *q = &k->helo_queries[i * _HELO_LOOKUP_MAX + (size_t) j];
                        *q = (HeloQuery) { .lookup = &k->helo_lookups[i], .which = j };
                        if (resolver_query(k->checker->resolver, k->helo[i], types[j], on_helo_reply, q) < 0)
                                k->helo_lookups[i].reply[j] = (DnsReply) { .status = DNS_UNREACHABLE };
                        else
                                k->n_pending++;
                }
        }
}

static void on_ptr_reply(Resolver *r, DnsReply *reply, void *userdata) {
        Check *k = userdata;
        size_t n, asked = 0;
        uint16_t type = k->address.family == AF_INET ? GETDNS_RRTYPE_A : GETDNS_RRTYPE_AAAA;
        char rname[REVERSE_NAME_MAX];

        address_reverse_name(&k->address, rname);
        check_trace(k, rname, GETDNS_RRTYPE_PTR, reply);
        k->ptr = *reply;
        *reply = (DnsReply) {};
        n = strv_length(k->ptr.names);
        if (k->ptr.status != DNS_ANSWER || n == 0) {
                check_answered(k);
                return;
        }

        k->forward = calloc(n, sizeof(DnsReply));
        k->forward_by_name = calloc(n, sizeof(DnsReply *));
        k->lookups = calloc(n, sizeof(Forward));
        if (!k->forward || !k->forward_by_name || !k->lookups) {
                k->ptr.status = DNS_UNREACHABLE;
                check_answered(k);
                return;
        }

        for (size_t i = 0; i < n && asked < VERDICT_PTR_NAMES_MAX; i++)
                if (hostname_is_valid(k->ptr.names[i])) {
                        k->lookups[asked] = (Forward) { .check = k, .index = i };
                        asked++;
                }
        k->n_pending += asked;          /* and the PTR answer is in: */
        k->n_lookups = asked;
        for (size_t j = 0; j < asked; j++) {
                Forward *f = &k->lookups[j];
                if (resolver_query_first(r, k->ptr.names[f->index], type, on_forward_reply, f) < 0) {
                        /* Could not even queue it: no answer, a temperror. */
                        k->forward[f->index] = (DnsReply) { .status = DNS_UNREACHABLE };
                        k->forward_by_name[f->index] = &k->forward[f->index];
                        k->n_pending--;
                }
        }
        /* Replies never arrive from inside resolver_query(): this counts the
         * PTR answer off last. */
        check_answered(k);
}

int checker_check(Checker *c, const Address *a, char * const *helo, bool ask_zone, checker_callback_t callback,
                  void *userdata) {
        return checker_check_traced(c, a, helo, ask_zone, NULL, NULL, callback, userdata);
}

int checker_check_traced(Checker *c, const Address *a, char * const *helo, bool ask_zone, trace_hook_t trace,
                         void *trace_userdata, checker_callback_t callback, void *userdata) {
        char rname[REVERSE_NAME_MAX];
        Check *k;
        int r;

        k = calloc(1, sizeof(Check));
        if (!k)
                return -ENOMEM;
        *k = (Check) { .checker = c, .address = *a, .callback = callback, .userdata = userdata,
                       .trace = trace, .trace_userdata = trace_userdata, .ask_zone = ask_zone };
        k->fallback = verdict_new_failed(a, "the DNS answers could not be evaluated (out of memory)");
        if (!k->fallback || (helo && !(k->helo = strv_copy(helo))) || check_alloc_helo(k) < 0) {
                check_free(k);
                return -ENOMEM;
        }
        address_reverse_name(a, rname);
        r = resolver_query(c->resolver, rname, GETDNS_RRTYPE_PTR, on_ptr_reply, k);
        if (r < 0) {
                check_free(k);
                return r;
        }
        k->n_pending = 1;
        check_ask_helo(k);
        k->next = c->checks;
        if (c->checks)
                c->checks->prev = k;
        c->checks = k;
        c->n_checks++;
        return 0;
}

int checker_new(Resolver *resolver, const VerdictPolicy *policy, Checker **ret) {
        Checker *c = calloc(1, sizeof(Checker));

        if (!c)
                return -ENOMEM;
        c->resolver = resolver;
        c->policy = policy;
        *ret = c;
        return 0;
}

Checker *checker_free(Checker *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < ZONE_SILENT_MAX; i++)
                free(c->silent[i].ns);
        while (c->checks) {
                Check *k = c->checks;
                c->checks = k->next;
                check_free(k);
        }
        free(c);
        return NULL;
}

size_t checker_in_progress(const Checker *c) {
        return c->n_checks;
}
