/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_init(JsonWriter *w, FILE *f, bool pretty) {
        *w = (JsonWriter) { .f = f, .pretty = pretty, .first = { true } };
}

static void indent(JsonWriter *w) {
        putc_unlocked('\n', w->f);
        for (unsigned i = 0; i < w->depth; i++)
                fputs_unlocked("  ", w->f);
}

/* Place the comma and line break that go before a value or key. */
static void before_item(JsonWriter *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (w->depth == 0)
                return;
        if (!w->first[w->depth])
                fputs_unlocked(w->pretty ? "," : ", ", w->f);
        w->first[w->depth] = false;
        if (w->pretty)
                indent(w);
}

static void open_container(JsonWriter *w, char c) {
        before_item(w);
        putc_unlocked(c, w->f);
        if (w->depth + 1 < JSON_DEPTH_MAX)
                w->depth++;
        w->first[w->depth] = true;
}

static void close_container(JsonWriter *w, char c) {
        bool empty = w->first[w->depth];

        if (w->depth > 0)
                w->depth--;
        if (w->pretty && !empty)
                indent(w);
        putc_unlocked(c, w->f);
}

void json_begin_object(JsonWriter *w) {
        open_container(w, '{');
}

void json_end_object(JsonWriter *w) {
        close_container(w, '}');
}

void json_begin_array(JsonWriter *w) {
        open_container(w, '[');
}

void json_end_array(JsonWriter *w) {
        close_container(w, ']');
}

/* Plain characters go out in runs; a JSON writer is single-threaded, so the
 * stream is not locked per character. */
static void write_string(FILE *f, const char *s) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *run = (const unsigned char *) s, *p;

        putc_unlocked('"', f);
        for (p = run; *p; p++) {
                const char *esc = NULL;
                char u[7];

                switch (*p) {
                case '"':  esc = "\\\""; break;
                case '\\': esc = "\\\\"; break;
                case '\n': esc = "\\n"; break;
                case '\r': esc = "\\r"; break;
                case '\t': esc = "\\t"; break;
                default:
                        /* Control characters, and bytes past ASCII: DNS names
                         * are bytes, not UTF-8; keep the document valid
                         * whatever they hold. */
                        if (*p >= 0x20 && *p < 0x7f)
                                continue;
                        u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
                        u[4] = hex[*p >> 4], u[5] = hex[*p & 0xf], u[6] = 0;
                        esc = u;
                }
                fwrite_unlocked(run, 1, (size_t) (p - run), f);
                fputs_unlocked(esc, f);
                run = p + 1;
        }
        fwrite_unlocked(run, 1, (size_t) (p - run), f);
        putc_unlocked('"', f);
}

void json_key(JsonWriter *w, const char *key) {
        before_item(w);
        write_string(w->f, key);
        fputs_unlocked(": ", w->f);
        w->after_key = true;
}

void json_string(JsonWriter *w, const char *s) {
        if (!s) {
                json_null(w);
                return;
        }
        before_item(w);
        write_string(w->f, s);
}

void json_integer(JsonWriter *w, int64_t v) {
        before_item(w);
        fprintf(w->f, "%" PRId64, v);
}

void json_decimal(JsonWriter *w, double v, int places) {
        char buf[64];
        size_t n;

        before_item(w);
        n = (size_t) snprintf(buf, sizeof buf, "%.*f", places, v);
        /* 3.500 → 3.5, 2.000 → 2: the shortest form of the same value */
        while (n > 1 && strchr(buf, '.') && (buf[n - 1] == '0' || buf[n - 1] == '.'))
                buf[--n] = 0;
        fputs_unlocked(buf, w->f);
}

void json_boolean(JsonWriter *w, bool b) {
        before_item(w);
        fputs_unlocked(b ? "true" : "false", w->f);
}

void json_null(JsonWriter *w) {
        before_item(w);
        fputs_unlocked("null", w->f);
}

void json_finish(JsonWriter *w) {
        putc_unlocked('\n', w->f);
}
