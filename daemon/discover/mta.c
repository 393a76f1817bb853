/* SPDX-License-Identifier: MIT */
/* Discover=postfix and Discover=exim, together: runs them, resolves the
 * relays they name, and carries the result from the daemon's discovery
 * child back to the daemon. */
#include <errno.h>
#include <getdns/getdns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "macro.h"
#include "mta.h"
#include "resolver.h"
#include "strv.h"

/* ---- relays: names to addresses, with the configured resolver ---- */

typedef struct RelayRun {
        sd_event *event;
        Resolver *resolver;
        DiscoveryResult *result;
        size_t n_pending;
        int error;
} RelayRun;

typedef struct RelayQuery {
        RelayRun *run;
        char *source;
        char *name;
        bool mx;                /* an MX question, whose targets are asked in turn */
        char *relay;            /* the relay as configured, for messages */
        unsigned families;      /* RELAY_IPV4 | RELAY_IPV6: what the MTA may connect over */
} RelayQuery;

#define RELAY_IPV4 (1u << 0)
#define RELAY_IPV6 (1u << 1)

static void relay_query_free(RelayQuery *q) {
        free(q->source);
        free(q->name);
        free(q->relay);
        free(q);
}

static int relay_ask(RelayRun *run, const RelayQuery *how, const char *name, uint16_t type);

/* The address questions for a name, one per family the MTA uses. */
static int relay_ask_addresses(RelayRun *run, const RelayQuery *how, const char *name) {
        int r = 0;

        if (how->families & RELAY_IPV4)
                r = relay_ask(run, how, name, GETDNS_RRTYPE_A);
        if (r >= 0 && (how->families & RELAY_IPV6))
                r = relay_ask(run, how, name, GETDNS_RRTYPE_AAAA);
        return r;
}

static void relay_done(RelayRun *run) {
        if (--run->n_pending == 0)
                (void) sd_event_exit(run->event, 0);
}

static void on_relay_reply(Resolver *resolver, DnsReply *reply, void *userdata) {
        RelayQuery *q = userdata;
        RelayRun *run = q->run;
        int r = 0;

        if (q->mx && reply->status == DNS_ANSWER) {
                for (char **t = reply->names; t && *t && r >= 0; t++)
                        if (**t)
                                r = relay_ask_addresses(run, q, *t);
        } else if (q->mx && dns_status_is_negative(reply->status)) {
                /* No MX: Postfix connects to the name's own addresses. */
                r = relay_ask_addresses(run, q, q->name);
        } else if (!q->mx)
                for (size_t i = 0; i < reply->n_addresses && r >= 0; i++)
                        r = identity_list_add(&run->result->found, &reply->addresses[i], NULL, q->source);
        if (dns_status_is_temporary(reply->status)) {
                char *note = NULL;
                if (strextendf(&note, "the relay %s could not be resolved (%s): its addresses are not watched "
                               "this round", q->relay, dns_status_to_string(reply->status)) >= 0)
                        r = discovery_result_note(run->result, note);
                free(note);
        }
        if (r < 0)
                run->error = r;
        relay_query_free(q);
        relay_done(run);
}

static int relay_ask(RelayRun *run, const RelayQuery *how, const char *name, uint16_t type) {
        RelayQuery *q = calloc(1, sizeof(RelayQuery));
        int r;

        if (!q)
                return -ENOMEM;
        *q = (RelayQuery) { .run = run, .mx = type == GETDNS_RRTYPE_MX, .families = how->families,
                            .source = strdup(how->source), .name = strdup(name), .relay = strdup(how->relay) };
        if (!q->source || !q->name || !q->relay) {
                relay_query_free(q);
                return -ENOMEM;
        }
        r = resolver_query(run->resolver, name, type, on_relay_reply, q);
        if (r < 0) {
                relay_query_free(q);
                return r;
        }
        run->n_pending++;
        return 0;
}

/* One "SOURCE PROTOCOLS NEXTHOP" entry (PROTOCOLS: all, ipv4 or ipv6, as
 * the MTA's inet_protocols allow): an address at once, a name asked. */
static int relay_start(RelayRun *run, const char *entry) {
        _cleanup_free_ char *source = NULL, *protocols = NULL, *host = NULL;
        const char *nexthop = NULL;
        Address a;
        bool mx;
        int r;

        if (sscanf(entry, "%ms %ms", &source, &protocols) != 2)
                return -EINVAL;
        nexthop = entry + strlen(source) + 1 + strlen(protocols);
        nexthop += strspn(nexthop, " ");
        RelayQuery how = { .source = source, .relay = (char *) nexthop,
                           .families = streq(protocols, "ipv4") ? RELAY_IPV4 :
                                       streq(protocols, "ipv6") ? RELAY_IPV6 : RELAY_IPV4 | RELAY_IPV6 };
        r = relay_nexthop_parse(nexthop, &host, &mx);
        if (r == -EINVAL) {
                char *note = NULL;
                r = strextendf(&note, "the relay '%s' is not a next hop Postfix understands", QUOTE(nexthop));
                if (r >= 0)
                        r = discovery_result_note(run->result, note);
                free(note);
                return r;
        }
        if (r < 0)
                return r;
        if (address_parse(host, &a, NULL) >= 0)
                return (how.families & (a.family == AF_INET ? RELAY_IPV4 : RELAY_IPV6)) ?
                        identity_list_add(&run->result->found, &a, NULL, source) : 0;
        if (!mx)
                return relay_ask_addresses(run, &how, host);
        return relay_ask(run, &how, host, GETDNS_RRTYPE_MX);
}

static int relays_resolve(const Config *c, char **relays, DiscoveryResult *result) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        RelayRun run = { .result = result };
        ResolverOptions o = resolver_options_from_config(c, NULL);
        int r;

        if (!relays)
                return 0;
        r = sd_event_new(&event);
        if (r < 0)
                return r;
        r = resolver_new(event, &o, &run.resolver);
        if (r < 0)
                return r;
        run.event = event;
        for (char **e = relays; *e && r >= 0; e++)
                r = relay_start(&run, *e);
        if (r >= 0 && run.n_pending > 0)
                r = sd_event_loop(event);
        run.resolver = resolver_free(run.resolver);
        return r < 0 ? r : run.error;
}

int mta_discover(const Config *c, DiscoveryResult *ret, bool *ret_failed) {
        MtaFound f = {};
        DiscoveryResult result = {};
        int r = 0;

        if (c->discover & DISCOVER_POSTFIX)
                r = postfix_discover(c, &f);
        if (r >= 0 && (c->discover & DISCOVER_EXIM))
                r = exim_discover(c, &f);
        if (r >= 0) {
                result.found = f.ids;
                result.notes = TAKE_PTR(f.notes);
                f.ids = (IdentityList) {};
                r = relays_resolve(c, f.relays, &result);
        }
        *ret_failed = f.failed;
        mta_found_done(&f);
        if (r < 0) {
                discovery_result_done(&result);
                return r;
        }
        *ret = result;
        return 0;
}
