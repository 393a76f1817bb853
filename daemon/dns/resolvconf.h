/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "config.h"

#define RESOLV_CONF "/etc/resolv.conf"

/* The nameserver lines of a resolv.conf file, read by us rather than by
 * getdns, which would load /etc/hosts too. A scoped server ("fe80::1%eth0")
 * cannot be our upstream and is skipped. */
int resolv_conf_parse(const char *path, Upstream **ret, size_t *ret_n);
