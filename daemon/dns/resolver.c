/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <getdns/getdns_extra.h>
#include <stdlib.h>

#include "dns-getdns.h"
#include "log.h"
#include "macro.h"
#include "prioq.h"
#include "resolvconf.h"
#include "resolver.h"
#include "sd-getdns.h"

/* getdns sends each UDP question once: a lost datagram would be a timeout.
 * So a question goes out up to RESOLVER_TRIES times within Timeout=, a third
 * of it apart, the earlier tries kept open: an answer to any of them counts
 * (a slow answer is not a lost one), and the first answer decides. */
#define RESOLVER_TRIES 3

typedef struct Query Query;

typedef struct Try {
        Query *query;
        getdns_transaction_t id;
        bool open;              /* getdns will still call back for it */
} Try;

struct Query {
        Resolver *resolver;
        char *name;
        uint16_t type;
        uint16_t klass;
        resolver_callback_t callback;
        void *userdata;
        Query *next;            /* in the wait queue, or the list of finished ones */
        bool submitting;        /* inside getdns_general() */
        bool done;              /* answered (or given up): no more tries */
        bool delivered;         /* the callback has run (or never will) */
        DnsReply reply;         /* when finished before getdns_general() returned */
        Try tries[RESOLVER_TRIES];
        unsigned n_tries, n_open;
        unsigned retry_idx;     /* in the resolver's retries, while more tries are due */
};

struct Resolver {
        sd_event *event;
        getdns_context *context;
        usec_t timeout;
        unsigned max_in_flight;         /* MaxInFlight=: the ceiling of the window */
        unsigned window;                /* how many may be out now */
        unsigned n_in_flight;
        unsigned n_queued;
        Query *queue_head, *queue_tail;         /* waiting for a slot */
        Query *finished;                        /* to deliver from the defer source */
        sd_event_source *deliver;
        Prioq retries;                          /* queries by when their next try is due */
        sd_event_source *retry_timer;           /* one timer, for the head of retries */
        usec_t retry_armed;
        bool freeing;
        ResolverStats stats;
};

static Query *query_free(Query *q) {
        if (!q)
                return NULL;
        prioq_remove(&q->resolver->retries, &q->retry_idx);
        dns_reply_done(&q->reply);
        free(q->name);
        free(q);
        return NULL;
}

/* Freed once its callback has run and getdns holds none of its tries. */
static void query_release(Query *q) {
        if (q->delivered && q->n_open == 0)
                query_free(q);
}

static void finish_later(Resolver *r, Query *q) {
        q->next = r->finished;
        r->finished = q;
        if (sd_event_source_set_enabled(r->deliver, SD_EVENT_ONESHOT) < 0)
                log_error("Failed to enable DNS reply delivery, replies will hang");
}

static void start_queued(Resolver *r);

static void deliver(Resolver *r, Query *q, DnsReply *reply) {
        q->callback(r, reply, q->userdata);
        q->delivered = true;
        query_release(q);
}

/* The query has its answer (or none will come): stop the other tries. */
static void query_done(Resolver *r, Query *q, bool timed_out) {
        q->done = true;
        prioq_remove(&r->retries, &q->retry_idx);
        r->n_in_flight--;
        /* The window: grow by one for each answer (doubling per round trip,
         * as TCP's slow start), halve on a timeout. A fast resolver is kept
         * busy without tuning, a slow or overloaded one is not flooded. */
        if (timed_out)
                r->window = MAX(r->window / 2, MIN(r->max_in_flight, RESOLVER_WINDOW_MIN));
        else if (r->window < r->max_in_flight)
                r->window++;
        /* The other tries are left to run out (their answers are ignored):
         * getdns 1.6's getdns_cancel_callback() frees a request that an
         * unreachable upstream still holds, and a later timeout uses it
         * (found by ASan in test_faults.py, from a callback and from a
         * defer source alike). */
}

static void on_getdns_reply(getdns_context *context, getdns_callback_type_t type, getdns_dict *response,
                            void *userarg, getdns_transaction_t transaction) {
        Try *t = userarg;
        Query *q = t->query;
        Resolver *r = q->resolver;
        DnsReply reply;

        t->open = false;
        q->n_open--;
        if (r->freeing) {
                /* from inside getdns_context_destroy(): in flight, dropped
                 * without calling back; a finished one is freed from its list */
                getdns_dict_destroy(response);
                if (!q->done)
                        q->delivered = true;
                if (q->delivered)
                        query_release(q);
                return;
        }
        if (type == GETDNS_CALLBACK_CANCEL || q->done) {
                getdns_dict_destroy(response);
                query_release(q);
                return;
        }
        /* A later try timing out is no news: the first one's timeout is
         * the end of Timeout=. Any other outcome of any try decides. */
        if (type == GETDNS_CALLBACK_TIMEOUT && t != &q->tries[0] && q->n_open > 0) {
                getdns_dict_destroy(response);
                return;
        }
        query_done(r, q, type == GETDNS_CALLBACK_TIMEOUT);
        if (dns_reply_from_getdns(type, response, q->name, q->type, q->klass, &reply) < 0) {
                log_error("Out of memory reading the reply for %s", q->name);
                reply = (DnsReply) { .status = DNS_UNREACHABLE };
        }
        getdns_dict_destroy(response);

        if (q->submitting) {
                /* Answered from inside getdns_general(): our caller is still
                 * on the stack and must not be re-entered. */
                q->reply = reply;
                finish_later(r, q);
                return;
        }
        deliver(r, q, &reply);
        dns_reply_done(&reply);
        start_queued(r);
}

/* One more try of q: 0, or a getdns error. */
static getdns_return_t query_try(Resolver *r, Query *q) {
        Try *t = &q->tries[q->n_tries];
        getdns_dict *extensions = NULL;
        getdns_return_t ret;

        if (q->klass != GETDNS_RRCLASS_IN) {
                extensions = getdns_dict_create();
                if (extensions)
                        (void) getdns_dict_set_int(extensions, "specify_class", q->klass);
        }
        *t = (Try) { .query = q, .open = true };
        q->n_tries++;
        q->n_open++;
        r->stats.n_sent++;
        q->submitting = true;
        ret = getdns_general(r->context, q->name, q->type, extensions, t, &t->id, on_getdns_reply);
        q->submitting = false;
        getdns_dict_destroy(extensions);
        if (ret != GETDNS_RETURN_GOOD && t->open) {
                t->open = false;
                q->n_open--;
        }
        return ret;
}

/* One timer for every query's next try: re-armed only when the earliest
 * deadline changes, not per query (a timer each cost a third more system
 * time in bulk checks). */
static void arm_retry_timer(Resolver *r) {
        uint64_t when;

        if (!prioq_peek(&r->retries, &when)) {
                if (r->retry_armed != USEC_INFINITY)
                        (void) sd_event_source_set_enabled(r->retry_timer, SD_EVENT_OFF);
                r->retry_armed = USEC_INFINITY;
                return;
        }
        if (when == r->retry_armed)
                return;
        (void) sd_event_source_set_time(r->retry_timer, when);
        (void) sd_event_source_set_enabled(r->retry_timer, SD_EVENT_ONESHOT);
        r->retry_armed = when;
}

static void schedule_retry(Resolver *r, Query *q, usec_t when) {
        if (prioq_put(&r->retries, q, when, &q->retry_idx) < 0)
                log_debug("Out of memory scheduling a retry of %s: one try only", q->name);
}

static int on_retry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Resolver *r = userdata;
        usec_t t = now(CLOCK_MONOTONIC), when;
        Query *q;

        r->retry_armed = USEC_INFINITY;
        while ((q = prioq_peek(&r->retries, &when)) && when <= t) {
                prioq_remove(&r->retries, &q->retry_idx);
                if (q->done || q->n_tries >= RESOLVER_TRIES)
                        continue;
                r->stats.n_retransmitted++;
                (void) query_try(r, q);
                if (!q->done && q->n_tries < RESOLVER_TRIES)
                        schedule_retry(r, q, t + r->timeout / RESOLVER_TRIES);
        }
        arm_retry_timer(r);
        return 0;
}

static void submit(Resolver *r, Query *q) {
        getdns_return_t ret;

        r->n_in_flight++;
        r->stats.max_in_flight_seen = MAX(r->stats.max_in_flight_seen, r->n_in_flight);
        ret = query_try(r, q);
        if (ret != GETDNS_RETURN_GOOD) {
                log_warning("Failed to send the query for %s: %s", q->name,
                            getdns_get_errorstr_by_id(ret) ?: "unknown error");
                r->n_in_flight--;
                q->done = true;
                q->reply = (DnsReply) { .status = DNS_UNREACHABLE };
                finish_later(r, q);
                return;
        }
        if (q->done)
                return;         /* answered from inside getdns_general() */
        schedule_retry(r, q, now(CLOCK_MONOTONIC) + r->timeout / RESOLVER_TRIES);
        arm_retry_timer(r);
}

static void start_queued(Resolver *r) {
        while (r->queue_head && r->n_in_flight < r->window) {
                Query *q = r->queue_head;

                r->queue_head = q->next;
                if (!r->queue_head)
                        r->queue_tail = NULL;
                q->next = NULL;
                r->n_queued--;
                submit(r, q);
        }
}

static int on_deliver(sd_event_source *s, void *userdata) {
        Resolver *r = userdata;

        while (r->finished) {
                Query *q = r->finished;
                r->finished = q->next;
                deliver(r, q, &q->reply);
        }
        start_queued(r);
        return 0;
}

static int enqueue(Resolver *r, const char *name, uint16_t type, uint16_t klass, bool first,
                   resolver_callback_t callback, void *userdata) {
        Query *q;

        q = calloc(1, sizeof(Query));
        if (!q)
                return -ENOMEM;
        *q = (Query) { .resolver = r, .type = type, .klass = klass, .callback = callback, .userdata = userdata,
                       .retry_idx = PRIOQ_IDX_NULL };
        q->name = strdup(name);
        if (!q->name) {
                free(q);
                return -ENOMEM;
        }
        if (first) {
                q->next = r->queue_head;
                r->queue_head = q;
                if (!r->queue_tail)
                        r->queue_tail = q;
        } else {
                if (r->queue_tail)
                        r->queue_tail->next = q;
                else
                        r->queue_head = q;
                r->queue_tail = q;
        }
        r->n_queued++;
        /* Start from the defer source, never here: a reply that comes back
         * at once must not call back into our caller. */
        if (sd_event_source_set_enabled(r->deliver, SD_EVENT_ONESHOT) < 0)
                start_queued(r);
        return 0;
}

int resolver_query_class(Resolver *r, const char *name, uint16_t type, uint16_t klass,
                         resolver_callback_t callback, void *userdata) {
        return enqueue(r, name, type, klass, false, callback, userdata);
}

int resolver_query(Resolver *r, const char *name, uint16_t type, resolver_callback_t callback, void *userdata) {
        return enqueue(r, name, type, GETDNS_RRCLASS_IN, false, callback, userdata);
}

int resolver_query_first(Resolver *r, const char *name, uint16_t type, resolver_callback_t callback, void *userdata) {
        return enqueue(r, name, type, GETDNS_RRCLASS_IN, true, callback, userdata);
}

static int set_upstreams(getdns_context *ctx, const Upstream *servers, size_t n) {
        getdns_list *list = getdns_list_create();
        int r = 0;

        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < n && r == 0; i++) {
                getdns_dict *d = getdns_dict_create();
                getdns_bindata data = {
                        .size = servers[i].address.family == AF_INET ? 4 : 16,
                        .data = (uint8_t *) servers[i].address.bytes,
                };
                getdns_bindata family = {
                        .size = 4,
                        .data = (uint8_t *) (servers[i].address.family == AF_INET ? "IPv4" : "IPv6"),
                };

                if (!d ||
                    getdns_dict_set_bindata(d, "address_type", &family) ||
                    getdns_dict_set_bindata(d, "address_data", &data) ||
                    getdns_dict_set_int(d, "port", servers[i].port) ||
                    getdns_list_set_dict(list, i, d))
                        r = -ENOMEM;
                getdns_dict_destroy(d);
        }
        if (r == 0 && getdns_context_set_upstream_recursive_servers(ctx, list) != GETDNS_RETURN_GOOD)
                r = -EINVAL;
        getdns_list_destroy(list);
        return r;
}

static int configure(Resolver *r, const ResolverOptions *o) {
        _cleanup_free_ Upstream *from_os = NULL;
        const Upstream *servers = o->servers;
        const char *resolv_conf = o->resolv_conf ? o->resolv_conf : RESOLV_CONF;
        size_t n = o->n_servers;
        getdns_context *ctx = r->context;
        int k;

        if (n == 0) {
                /* Our own reading of resolv.conf: getdns' would also load
                 * /etc/hosts, and verdicts come from DNS only. */
                k = resolv_conf_parse(resolv_conf, &from_os, &n);
                if (k < 0) {
                        log_error_errno(k, "No [Resolver] Servers= set and %s cannot be read", resolv_conf);
                        return k;
                }
                if (n == 0) {
                        log_error("No [Resolver] Servers= set and %s names no nameserver", resolv_conf);
                        return -ENOENT;
                }
                servers = from_os;
        }

        if (getdns_context_set_resolution_type(ctx, GETDNS_RESOLUTION_STUB) ||
            getdns_context_set_append_name(ctx, GETDNS_APPEND_NAME_NEVER) ||
            getdns_context_set_timeout(ctx, o->timeout / USEC_PER_MSEC) ||
            /* the tries of a query count there too */
            getdns_context_set_limit_outstanding_queries(ctx, (uint16_t) MIN(RESOLVER_TRIES * o->max_in_flight,
                                                                             UINT16_MAX)) ||
            /* RFC 9715 / DNS flag day 2020: a buffer that fits the path;
             * more comes over TCP, and a reply still cut short is no answer */
            getdns_context_set_edns_maximum_udp_payload_size(ctx, RESOLVER_EDNS_BUFFER))
                return -EINVAL;
        k = sd_getdns_set_peers(ctx, servers, n);
        if (k < 0)
                return k;
        return set_upstreams(ctx, servers, n);
}

sd_event *resolver_event(const Resolver *r) {
        return r->event;
}

ResolverOptions resolver_options_from_config(const Config *c, const char *resolv_conf) {
        return (ResolverOptions) {
                .servers = c->servers,
                .n_servers = c->n_servers,
                .resolv_conf = resolv_conf,
                .timeout = c->timeout,
                .max_in_flight = c->max_in_flight,
        };
}

int resolver_new(sd_event *event, const ResolverOptions *o, Resolver **ret) {
        Resolver *r;
        int k;

        r = calloc(1, sizeof(Resolver));
        if (!r)
                return -ENOMEM;
        r->event = sd_event_ref(event);
        r->timeout = o->timeout;
        r->max_in_flight = MAX(o->max_in_flight, 1u);
        r->window = MIN(r->max_in_flight, RESOLVER_WINDOW_START);

        r->retry_armed = USEC_INFINITY;
        k = sd_event_add_time(event, &r->retry_timer, CLOCK_MONOTONIC, USEC_INFINITY, USEC_PER_MSEC,
                              on_retry_timer, r);
        if (k < 0)
                goto fail;
        (void) sd_event_source_set_enabled(r->retry_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(r->retry_timer, "dns-retry");
        k = sd_event_add_defer(event, &r->deliver, on_deliver, r);
        if (k < 0)
                goto fail;
        (void) sd_event_source_set_enabled(r->deliver, SD_EVENT_OFF);
        (void) sd_event_source_set_description(r->deliver, "resolver-deliver");

        /* set_from_os = 0: neither /etc/resolv.conf nor /etc/hosts is read by getdns. */
        if (getdns_context_create(&r->context, 0) != GETDNS_RETURN_GOOD) {
                r->context = NULL;
                k = -ENOMEM;
                goto fail;
        }
        k = sd_getdns_attach(r->context, event);
        if (k < 0)
                goto fail;
        k = configure(r, o);
        if (k < 0)
                goto fail;
        *ret = r;
        return 0;

fail:
        resolver_free(r);
        return k;
}

Resolver *resolver_free(Resolver *r) {
        if (!r)
                return NULL;
        r->freeing = true;
        /* In-flight queries come back as CANCEL from inside the destroy call. */
        if (r->context)
                getdns_context_destroy(r->context);
        while (r->queue_head) {
                Query *q = r->queue_head;
                r->queue_head = q->next;
                query_free(q);
        }
        while (r->finished) {
                Query *q = r->finished;
                r->finished = q->next;
                query_free(q);
        }
        sd_event_source_disable_unref(r->deliver);
        sd_event_source_disable_unref(r->retry_timer);
        prioq_done(&r->retries);
        sd_event_unref(r->event);
        free(r);
        return NULL;
}

ResolverStats resolver_stats(const Resolver *r) {
        ResolverStats s = r->stats;

        s.n_in_flight = r->n_in_flight;
        s.window = r->window;
        s.n_queued = r->n_queued;
        return s;
}
