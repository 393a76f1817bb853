/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "dnsreply.h"

/* Every lookup behind one verdict, in the order the answers came: what
 * ptrwatch explain shows. */

typedef struct LookupTrace {
        char *name;
        uint16_t type;
        DnsStatus status;
        int rcode;
        uint32_t ttl;
        bool has_ttl;
        char **answer;          /* what the answer said, as text: names, addresses, "SOA zone contact" */
} LookupTrace;

typedef struct Trace {
        LookupTrace *items;
        size_t n;
} Trace;

typedef void (*trace_hook_t)(void *userdata, const char *name, uint16_t type, const DnsReply *reply);

/* A hook for trace_hook_t: records into the Trace userdata. Out of memory
 * loses the entry, never the check. */
void trace_record(void *userdata, const char *name, uint16_t type, const DnsReply *reply);
void trace_done(Trace *t);

const char *dns_type_to_string(uint16_t type);
/* aa{sv}: name, type, status, rcode, ttl (when known), answer. */
int trace_append_bus(sd_bus_message *m, const Trace *t);
