/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-bus.h>

/* Writing a{sv} dictionaries: one {sv} entry each. */

/* A value of one basic type: sig is "s", "b", "i", "u", "t" or "d", and
 * the value follows as sd_bus_message_append() takes it. */
int bus_dict_append(sd_bus_message *m, const char *key, const char *sig, ...);
/* A string list ("as"); NULL is empty. */
int bus_dict_append_strv(sd_bus_message *m, const char *key, char * const *l);
/* Any other value: the entry is opened up to its variant of signature sig,
 * the caller appends the value, then closes the entry. */
int bus_dict_open_entry(sd_bus_message *m, const char *key, const char *sig);
int bus_dict_close_entry(sd_bus_message *m);

/* Reading an a{sv}: field() is called for each entry with the variant still
 * to read (its signature in contents), and reads it with one of the
 * bus_dict_read_*() below, or skips it: keys and types it does not know,
 * a newer peer's, are not errors. Returns the number of entries. */
typedef int (*bus_dict_field_t)(sd_bus_message *m, const char *key, const char *contents, void *userdata);
int bus_dict_read(sd_bus_message *m, bus_dict_field_t field, void *userdata);

/* The variant's value when it has the type ("s", "as"), replacing *ret;
 * else it is skipped. */
int bus_dict_read_string(sd_bus_message *m, const char *contents, char **ret);
int bus_dict_read_strv(sd_bus_message *m, const char *contents, char ***ret);
