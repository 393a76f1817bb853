/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "config.h"
#include "discovery.h"

/* Discover=dns: ask each whoami source over IPv4 and IPv6 (where it has a
 * server) which address it sees. Calls back once, from the event loop (never
 * from inside a resolver callback), with the addresses found and notes, e.g.
 * when sources disagree. The result's contents are the callee's to take. */
typedef struct Whoami Whoami;
typedef void (*whoami_callback_t)(DiscoveryResult *result, void *userdata);
int whoami_start(sd_event *e, const Config *c, whoami_callback_t cb, void *userdata, Whoami **ret);
Whoami *whoami_free(Whoami *w);
