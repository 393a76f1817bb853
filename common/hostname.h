/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "address.h"

#define HOSTNAME_MAX 255
#define HOSTNAME_LABEL_MAX 63

/* Postfix's valid_hostname() rule, which decides whether a receiver treats a
 * PTR name as a name at all. Takes a name without the trailing dot. */
bool hostname_is_valid(const char *name);

/* Lower-case copy without the trailing dot. */
char *hostname_normalize(const char *name);

/* Offset in name where the registered domain starts (0 when there is no host
 * part left of it); see the README for the heuristic. */
size_t hostname_host_part_length(const char *name);

/* Whether name looks like a dynamic or generic name for address a. On true,
 * *ret_token (if set) is the dynamic-pool token found, or NULL when the name
 * embeds the address itself. */
bool hostname_is_generic(const char *name, const Address *a, const char **ret_token);
