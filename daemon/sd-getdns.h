/* SPDX-License-Identifier: MIT */
#pragma once

#include <getdns/getdns.h>
#include <systemd/sd-event.h>

/* Drive a getdns context from an sd-event loop: getdns' file descriptors
 * become IO sources and its timeouts one-shot CLOCK_MONOTONIC timers. On
 * success the context owns the adapter and frees it when destroyed. */
int sd_getdns_attach(getdns_context *context, sd_event *event);
