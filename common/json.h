/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A streaming JSON writer: just enough for our documents, always valid
 * output (strings escaped, commas placed), pretty or one line. */
#define JSON_DEPTH_MAX 16

typedef struct JsonWriter {
        FILE *f;
        bool pretty;
        unsigned depth;
        bool first[JSON_DEPTH_MAX];
        bool after_key;
} JsonWriter;

void json_init(JsonWriter *w, FILE *f, bool pretty);
void json_begin_object(JsonWriter *w);
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w);
void json_end_array(JsonWriter *w);
void json_key(JsonWriter *w, const char *key);
void json_string(JsonWriter *w, const char *s);        /* NULL writes null */
void json_integer(JsonWriter *w, int64_t v);
/* A number with at most places decimals, trailing zeros dropped. */
void json_decimal(JsonWriter *w, double v, int places);
void json_boolean(JsonWriter *w, bool b);
void json_null(JsonWriter *w);
void json_finish(JsonWriter *w);                        /* trailing newline */
