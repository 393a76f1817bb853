/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getdns/getdns.h>
#include <stdlib.h>
#include <string.h>

#include "authority-lookup.h"
#include "helo.h"
#include "hostname.h"
#include "macro.h"
#include "strv.h"

/* Walking up from a /8's reverse name takes four steps; a nibble name more. */
#define SOA_WALK_MAX 34

struct AuthorityLookup {
        Resolver *resolver;
        Authority *result;
        char *mname;
        char *name;             /* being asked for its SOA */
        unsigned steps;
        authority_callback_t callback;
        void *userdata;
        trace_hook_t trace;
        void *trace_userdata;
};

void authority_lookup_set_trace(AuthorityLookup *l, trace_hook_t trace, void *userdata) {
        l->trace = trace;
        l->trace_userdata = userdata;
}

/* RIR domains (ARIN, RIPE NCC, APNIC, LACNIC, AFRINIC): a zone they hold
 * is a block nobody asked them to delegate. */
static const struct {
        const char *domain, *name;
} registries[] = {
        { "arin.net",    "ARIN" },
        { "ripe.net",    "RIPE NCC" },
        { "apnic.net",   "APNIC" },
        { "lacnic.net",  "LACNIC" },
        { "afrinic.net", "AFRINIC" },
};

static bool in_domain(const char *name, const char *domain) {
        size_t n = name ? strlen(name) : 0, d = strlen(domain);

        return n >= d && strcaseeq(name + n - d, domain) && (n == d || name[n - d - 1] == '.' || name[n - d - 1] == '@');
}

const char *authority_registry(const char *mname, const char *contact) {
        for (size_t i = 0; i < ELEMENTSOF(registries); i++)
                if (in_domain(mname, registries[i].domain) || in_domain(contact, registries[i].domain))
                        return registries[i].name;
        return NULL;
}

AuthorityLookup *authority_lookup_free(AuthorityLookup *l) {
        if (!l)
                return NULL;
        authority_free(l->result);
        free(l->mname);
        free(l->name);
        free(l);
        return NULL;
}

static void finish(AuthorityLookup *l) {
        Authority *a = TAKE_PTR(l->result);

        if (a && !a->zone)
                a = authority_free(a);
        if (a) {
                const char *registry = authority_registry(l->mname, a->contact);
                a->registry = registry ? strdup(registry) : NULL;       /* out of memory: no hint */
        }
        l->callback(a, l->userdata);
}

static void on_ns_reply(Resolver *r, DnsReply *reply, void *userdata) {
        AuthorityLookup *l = userdata;

        if (l->trace)
                l->trace(l->trace_userdata, l->result->zone, GETDNS_RRTYPE_NS, reply);
        if (reply->status == DNS_ANSWER)
                l->result->nameservers = TAKE_PTR(reply->names);
        finish(l);
}

static void ask_ns(AuthorityLookup *l) {
        if (resolver_query_first(l->resolver, l->result->zone, GETDNS_RRTYPE_NS, on_ns_reply, l) < 0)
                finish(l);
}

/* The zone is known: take its SOA's parts from reply. */
static void zone_found(AuthorityLookup *l, DnsReply *reply) {
        l->result->zone = TAKE_PTR(reply->soa_zone);
        l->result->contact = TAKE_PTR(reply->soa_contact);
        l->mname = TAKE_PTR(reply->soa_mname);
        ask_ns(l);
}

static void on_soa_reply(Resolver *r, DnsReply *reply, void *userdata) {
        AuthorityLookup *l = userdata;
        const char *dot;

        if (l->trace)
                l->trace(l->trace_userdata, l->name, GETDNS_RRTYPE_SOA, reply);
        if (reply->soa_zone) {
                zone_found(l, reply);
                return;
        }
        /* no SOA (a resolver that drops the authority section): one label up */
        dot = strchr(l->name, '.');
        if (dns_status_is_temporary(reply->status) || reply->status == DNS_INVALID || !dot || !dot[1] ||
            ++l->steps > SOA_WALK_MAX) {
                finish(l);
                return;
        }
        memmove(l->name, dot + 1, strlen(dot + 1) + 1);
        if (resolver_query_first(l->resolver, l->name, GETDNS_RRTYPE_SOA, on_soa_reply, l) < 0)
                finish(l);
}

int authority_lookup_start(Resolver *r, const DnsReply *ptr, const char *reverse_name,
                           authority_callback_t callback, void *userdata, AuthorityLookup **ret) {
        AuthorityLookup *l = calloc(1, sizeof(AuthorityLookup));
        int k;

        if (!l)
                return -ENOMEM;
        *l = (AuthorityLookup) { .resolver = r, .callback = callback, .userdata = userdata };
        l->result = calloc(1, sizeof(Authority));
        l->name = strdup(ptr->cname_end ?: reverse_name);
        if (!l->result || !l->name) {
                authority_lookup_free(l);
                return -ENOMEM;
        }
        l->result->classless = ptr->cname_end != NULL;
        if (ptr->soa_zone) {
                /* the negative answer named its zone */
                l->result->zone = strdup(ptr->soa_zone);
                l->result->contact = ptr->soa_contact ? strdup(ptr->soa_contact) : NULL;
                l->mname = ptr->soa_mname ? strdup(ptr->soa_mname) : NULL;
                if (!l->result->zone) {
                        authority_lookup_free(l);
                        return -ENOMEM;
                }
                k = resolver_query_first(r, l->result->zone, GETDNS_RRTYPE_NS, on_ns_reply, l);
        } else
                k = resolver_query_first(r, l->name, GETDNS_RRTYPE_SOA, on_soa_reply, l);
        if (k < 0) {
                authority_lookup_free(l);
                return k;
        }
        *ret = l;
        return 0;
}

/* The name to ask the PTR to point to. */
static const char *wanted_name(const Verdict *v) {
        for (char **h = v->helo; h && *h; h++)
                if (helo_form(*h) == HELO_HOSTNAME && strchr(*h, '.'))
                        return *h;
        for (char **p = v->ptr; p && *p; p++)
                if (hostname_is_valid(*p))
                        return *p;
        return NULL;
}

/* Without a usable contact in the SOA (none, or a single label such as
 * "hostmaster."): whoever runs the zone's name servers, or the block's
 * holder in the regional registry's whois. */
static int no_contact(Verdict *v, const Authority *a, const char *addr) {
        _cleanup_free_ char *servers = NULL;

        if (a->contact)
                return 0;
        for (char **n = a->nameservers; n && *n; n++)
                if (strextendf(&servers, "%s%s", servers ? ", " : "", *n) < 0)
                        return -ENOMEM;
        return strextendf(&v->message, "; the zone's SOA names no usable contact: ask the operator of its name "
                          "servers%s%s, or the block's holder in the regional registry's whois (whois %s)",
                          servers ? " " : "", servers ?: "", addr);
}

int authority_describe(Verdict *v, const char *ptr_owner) {
        const Authority *a = v->authority;
        _cleanup_free_ char *name = NULL;
        const char *want = wanted_name(v);
        char addr[ADDRESS_STRING_MAX];
        int r;

        if (!a)
                return 0;
        address_to_string(&v->address, addr);
        if (want && !(name = hostname_normalize(want)))
                return -ENOMEM;
        if (a->registry)
                return strextendf(&v->message, "; the reverse zone %s is still the registry's (%s): nobody was "
                                  "delegated this block's reverse DNS, so your provider must ask %s for the "
                                  "delegation, then publish a PTR record for %s pointing to %s",
                                  a->zone, a->registry, a->registry, ptr_owner, name ?: "your mail server's host name");
        if (!name)
                r = strextendf(&v->message, "; ask %s (the %szone %s) for a PTR record for %s pointing to your "
                               "mail server's host name", a->contact ?: "whoever holds it",
                               a->classless ? "RFC 2317 delegated " : "", a->zone, ptr_owner);
        else
                r = strextendf(&v->message, "; ask %s (the %szone %s) for a PTR record for %s pointing to %s, and "
                               "%s %s %s", a->contact ?: "whoever holds it", a->classless ? "RFC 2317 delegated " : "",
                               a->zone, ptr_owner, name, name, v->address.family == AF_INET ? "A" : "AAAA", addr);
        return r < 0 ? r : no_contact(v, a, addr);
}
