/* SPDX-License-Identifier: MIT */
#pragma once

/* What config.c (files, lines, checks) and config-keys.c (each key's value)
 * share; not for the rest of the daemon. config.c uses config-keys.c; both
 * use config-parse.c. */

#include "config.h"
#include "macro.h"

/* Where MinTTL= and MaxTTL= were last set (and in which order), to name the
 * line that made them clash. */
typedef struct SetAt {
        char where[256];
        unsigned seq;           /* 0: never set */
} SetAt;

typedef struct ParseState {
        Config *config;
        const char *file;
        unsigned line;
        unsigned seq;           /* assignments so far, over all files */
        char section[32];
        bool section_known;
        char *error;
        SetAt min_ttl_at;
        SetAt max_ttl_at;
} ParseState;

/* config-parse.c: set s->error to "FILE:LINE: what"; returns -EINVAL
 * (-ENOMEM). */
int config_fail(ParseState *s, const char *fmt, ...) _printf_(2, 3);

typedef int (*ConfigParser)(ParseState *s, const char *key, const char *value, void *data);

typedef struct ConfigKey {
        const char *section;
        const char *key;
        ConfigParser parse;
        size_t offset;          /* of the field handed to parse as data */
} ConfigKey;

/* config-keys.c */
const ConfigKey *config_key_find(const char *section, const char *key);
bool config_section_is_known(const char *name);
/* Lists of whoami sources are the only lists with their own teardown. */
void config_whoami_clear(Config *c);
