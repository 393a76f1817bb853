/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"
#include "trace.h"
#include "protocol.h"

extern const sd_bus_error_map bus_error_map[];

typedef struct Bus Bus;

/* Connect (system bus, or the session bus with user), publish the object,
 * own the name, attach to the manager's event loop. */
int bus_new(Manager *manager, bool user, Bus **ret);
Bus *bus_free(Bus *b);
static inline void bus_freep(Bus **b) {
        bus_free(*b);
}

int bus_append_verdict(sd_bus_message *reply, const Entry *e);
/* bus-explain.c: Explain's reply, {"verdict": a{sv}, "lookups": aa{sv},
 * "receiver_sources": a{ss}}. */
int bus_append_explanation(sd_bus_message *reply, const Verdict *v, const Trace *trace);

/* Validate Check()'s arguments; on error, *ret_error names what is wrong. */
int bus_check_args(const char *address, uint64_t flags, Address *ret, bool *ret_force, char **ret_error);
