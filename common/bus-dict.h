/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-bus.h>

/* Writing a{sv} dictionaries: one {sv} entry each. */

/* A value of one basic type: sig is "s", "b", "i", "u", "t" or "d", and
 * the value follows as sd_bus_message_append() takes it. */
int bus_dict_append(sd_bus_message *m, const char *key, const char *sig, ...);
/* A string list ("as"); NULL is empty. */
int bus_dict_append_strv(sd_bus_message *m, const char *key, char * const *l);
