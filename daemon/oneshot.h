/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/* ptrwatchd --check: check every address concurrently with the configured
 * resolver, print the verdicts in argument order (a table, or the contract's
 * JSON array) and return the exit status of the worst one. */
int oneshot_check(const Config *c, const Address *addresses, size_t n, bool json, FILE *out);
