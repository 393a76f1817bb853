/* SPDX-License-Identifier: MIT */
/* The regular-expression prefilter is sound: whenever PCRE2 finds a match,
 * the filter allows one. Input: a flags byte (bit 0: caseless), the pattern
 * up to the first newline, then subjects, a line each. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "regex-literal.h"

static void check_subject(const pcre2_code *re, pcre2_match_data *md, pcre2_match_context *mc, const char *filter,
                          bool caseless, const char *subject, size_t len) {
        char lower[4096];
        bool ascii = true;

        if (len >= sizeof lower)
                return;
        for (size_t i = 0; i < len; i++) {
                lower[i] = (char) tolower((unsigned char) subject[i]);
                ascii = ascii && !((unsigned char) subject[i] & 0x80);
        }
        if (pcre2_match(re, (PCRE2_SPTR) subject, len, 0, 0, md, mc) >= 0 &&
            !regex_prefilter_possible(filter, caseless, subject, len, lower, ascii))
                abort();        /* the filter ruled out a subject that matches */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
        PCRE2_SIZE offset;
        int error;

        if (size < 2)
                return 0;
        bool caseless = data[0] & 1;
        const char *text = (const char *) data + 1, *end = text + size - 1;
        const char *nl = memchr(text, '\n', (size_t) (end - text));
        size_t plen = nl ? (size_t) (nl - text) : (size_t) (end - text);
        char *filter = regex_prefilter(text, plen, caseless);
        pcre2_code *re = pcre2_compile((PCRE2_SPTR) text, plen, options | (caseless ? PCRE2_CASELESS : 0), &error,
                                       &offset, NULL);
        if (re) {
                pcre2_match_context *mc = pcre2_match_context_create(NULL);
                pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
                if (mc && md) {
                        pcre2_set_match_limit(mc, 100000);      /* a slow pattern is not what this looks for */
                        for (const char *s = nl ? nl + 1 : end; s < end; ) {
                                const char *e = memchr(s, '\n', (size_t) (end - s));
                                size_t len = e ? (size_t) (e - s) : (size_t) (end - s);
                                check_subject(re, md, mc, filter, caseless, s, len);
                                s += len + 1;
                        }
                }
                pcre2_match_data_free(md);
                pcre2_match_context_free(mc);
                pcre2_code_free(re);
        }
        free(filter);
        return 0;
}
