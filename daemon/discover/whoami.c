/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getdns/getdns.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"
#include "resolver.h"
#include "strv.h"
#include "whoami.h"

typedef struct WhoamiQuery {
        Whoami *whoami;
        const WhoamiSource *source;
        int family;                     /* of the server asked */
        Resolver *resolver;
        Address *found;
        size_t n_found;
        bool answered;
} WhoamiQuery;

struct Whoami {
        WhoamiQuery *queries;
        size_t n_queries;
        size_t n_pending;
        sd_event_source *done;
        whoami_callback_t callback;
        void *userdata;
};

static void on_whoami_reply(Resolver *r, DnsReply *reply, void *userdata) {
        WhoamiQuery *q = userdata;
        Whoami *w = q->whoami;

        if (reply->status == DNS_ANSWER || dns_status_is_negative(reply->status)) {
                /* NODATA and NXDOMAIN are answers too: that source sees nothing. */
                q->answered = true;
        }
        if (reply->status == DNS_ANSWER) {
                if (q->source->style == WHOAMI_ADDRESS) {
                        q->found = TAKE_PTR(reply->addresses);
                        q->n_found = reply->n_addresses;
                        reply->n_addresses = 0;
                } else
                        /* TXT styles: each string that parses as an address
                         * (Google adds an "edns0-client-subnet ..." string). */
                        for (char **t = reply->names; t && *t; t++) {
                                Address a;
                                if (address_parse(*t, &a, NULL) < 0)
                                        continue;
                                Address *l = reallocarray(q->found, q->n_found + 1, sizeof(Address));
                                if (!l)
                                        break;
                                l[q->n_found++] = a;
                                q->found = l;
                        }
        } else
                log_info("Whoami source %s (IPv%c) gave no answer: %s", q->source->label,
                         q->family == AF_INET ? '4' : '6', dns_status_to_string(reply->status));

        /* The resolvers must not be freed from inside their own callback. */
        if (--w->n_pending == 0)
                (void) sd_event_source_set_enabled(w->done, SD_EVENT_ONESHOT);
}

static int on_whoami_all_replied(sd_event_source *s, void *userdata) {
        Whoami *w = userdata;
        DiscoveryResult result = {};

        for (size_t i = 0; i < w->n_queries; i++) {
                WhoamiQuery *q = &w->queries[i];
                if (q->answered)
                        result.answered |= discovery_family_bit(q->family);
                for (size_t k = 0; k < q->n_found; k++) {
                        char a[ADDRESS_STRING_MAX];
                        AddressScope scope = address_scope(&q->found[k]);
                        if (scope == ADDRESS_LOOPBACK || scope == ADDRESS_UNSPECIFIED || scope == ADDRESS_MULTICAST ||
                            scope == ADDRESS_LINK_LOCAL || address_scope_is_behind_nat(scope)) {
                                log_warning("Whoami source %s answered %s, not a public address, ignoring",
                                            q->source->label, address_to_string(&q->found[k], a));
                                continue;
                        }
                        (void) identity_list_add(&result.found, &q->found[k], NULL, "dns");
                }
                /* Two sources that answered for the same family and disagree: say so. */
                for (size_t j = 0; j < i; j++) {
                        WhoamiQuery *p = &w->queries[j];
                        if (p->family != q->family || !p->n_found || !q->n_found ||
                            address_equal(&p->found[0], &q->found[0]))
                                continue;
                        char pa[ADDRESS_STRING_MAX], qa[ADDRESS_STRING_MAX], *note = NULL;
                        if (strextendf(&note, "whoami sources disagree: %s sees %s, %s sees %s; the host may "
                                       "leave through several addresses (watching both)",
                                       p->source->label, address_to_string(&p->found[0], pa),
                                       q->source->label, address_to_string(&q->found[0], qa)) >= 0)
                                (void) strv_push(&result.notes, note);
                }
        }
        w->callback(&result, w->userdata);
        discovery_result_done(&result);
        return 0;
}

int whoami_start(sd_event *e, const Config *c, whoami_callback_t cb, void *userdata, Whoami **ret) {
        Whoami *w;
        int r;

        w = calloc(1, sizeof(Whoami));
        if (!w)
                return -ENOMEM;
        w->callback = cb;
        w->userdata = userdata;
        w->queries = calloc(2 * c->n_whoami + 1, sizeof(WhoamiQuery));
        if (!w->queries) {
                free(w);
                return -ENOMEM;
        }
        r = sd_event_add_defer(e, &w->done, on_whoami_all_replied, w);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(w->done, SD_EVENT_OFF);
        (void) sd_event_source_set_description(w->done, "whoami-done");

        for (size_t i = 0; i < c->n_whoami; i++) {
                const WhoamiSource *src = &c->whoami[i];
                const Upstream *servers[] = { &src->server4, &src->server6 };

                for (size_t f = 0; f < 2; f++) {
                        WhoamiQuery *q = &w->queries[w->n_queries];
                        ResolverOptions o = {
                                .servers = servers[f], .n_servers = 1,
                                .timeout = c->timeout, .max_in_flight = 1,
                        };
                        uint16_t type, klass = src->style == WHOAMI_TXT_CHAOS ? GETDNS_RRCLASS_CH : GETDNS_RRCLASS_IN;

                        if (servers[f]->address.family == 0)
                                continue;
                        *q = (WhoamiQuery) { .whoami = w, .source = src, .family = servers[f]->address.family };
                        type = src->style != WHOAMI_ADDRESS ? GETDNS_RRTYPE_TXT
                                : q->family == AF_INET ? GETDNS_RRTYPE_A : GETDNS_RRTYPE_AAAA;
                        r = resolver_new(e, &o, &q->resolver);
                        if (r < 0)
                                goto fail;
                        w->n_queries++;
                        r = resolver_query_class(q->resolver, src->name, type, klass, on_whoami_reply, q);
                        if (r < 0)
                                goto fail;
                        w->n_pending++;
                }
        }
        if (w->n_pending == 0)
                (void) sd_event_source_set_enabled(w->done, SD_EVENT_ONESHOT);
        *ret = w;
        return 0;

fail:
        whoami_free(w);
        return r;
}

Whoami *whoami_free(Whoami *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; i < w->n_queries; i++) {
                resolver_free(w->queries[i].resolver);
                free(w->queries[i].found);
        }
        free(w->queries);
        sd_event_source_disable_unref(w->done);
        free(w);
        return NULL;
}
