/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/* ptrwatchd --check ADDRESS...: check every address concurrently with the
 * configured resolver (with HeloName= as the HELO name), print the verdicts
 * in argument order (a table, or the contract's JSON array) and return the
 * exit status of the worst one. */
int oneshot_check(const Config *c, const Address *addresses, size_t n, bool json, FILE *out);

/* ptrwatchd --check with no address: discover as the configuration says
 * (Addresses=, Discover= route, dns, postfix, exim), then check what was found
 * with its HELO names, as the daemon would. EXIT_UNKNOWN when nothing could
 * be learned. */
int oneshot_discover_check(const Config *c, bool json, FILE *out);
