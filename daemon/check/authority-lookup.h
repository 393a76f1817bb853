/* SPDX-License-Identifier: MIT */
#pragma once

#include "authority.h"
#include "resolver.h"
#include "trace.h"
#include "verdict.h"

/* Who holds the reverse zone of an address: the apex from the SOA of the
 * negative answer, else SOA questions walking up from the name the PTR
 * question led to (the CNAME target of an RFC 2317 delegation); then its
 * NS names. */

typedef struct AuthorityLookup AuthorityLookup;

/* a: the result (the callee's), NULL when nothing could be learned. Never
 * called from inside authority_lookup_start(). */
typedef void (*authority_callback_t)(Authority *a, void *userdata);

/* ptr: the reply to the PTR question of reverse_name. */
int authority_lookup_start(Resolver *r, const DnsReply *ptr, const char *reverse_name,
                           authority_callback_t callback, void *userdata, AuthorityLookup **ret);
AuthorityLookup *authority_lookup_free(AuthorityLookup *l);
/* Tells trace of every answer (ptrwatch explain). */
void authority_lookup_set_trace(AuthorityLookup *l, trace_hook_t trace, void *userdata);

/* The regional registry whose name servers or contact these are, or NULL. */
const char *authority_registry(const char *mname, const char *contact);

/* Appends to v's message who to ask and exactly what for: "ask
 * hostmaster@isp.example (zone 2.0.192.in-addr.arpa) for a PTR record for
 * 11.2.0.192.in-addr.arpa pointing to mail.example.com, and mail.example.com
 * A 192.0.2.11". The name: the HELO name when one is a host name, else the
 * first PTR name. */
int authority_describe(Verdict *v, const char *ptr_owner);
