/* SPDX-License-Identifier: MIT */
#pragma once

#include <getdns/getdns.h>
#include <systemd/sd-event.h>

#include "config.h"

/* Drive a getdns context from an sd-event loop: getdns' file descriptors
 * become IO sources and its timeouts one-shot CLOCK_MONOTONIC timers. On
 * success the context owns the adapter and frees it when destroyed. */
int sd_getdns_attach(getdns_context *context, sd_event *event);

/* Take UDP replies only from these servers (address and port): datagrams
 * from any other source are dropped before getdns reads them. None: no
 * filter. */
int sd_getdns_set_peers(getdns_context *context, const Upstream *peers, size_t n);
/* How many datagrams were dropped for that so far. */
uint64_t sd_getdns_dropped(getdns_context *context);
