/* SPDX-License-Identifier: MIT */
/* The prefilter of a regular expression (see regex-literal.h): one pass
 * over a sequence of the pattern, as PCRE2 reads Perl syntax, and one more
 * over each alternative of a group that must match. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex-literal.h"

#define REGEX_GROUP_DEPTH_MAX 8     /* deeper groups are read as "something" */

typedef struct Scan {
        const char *p, *end;
        bool caseless;
        unsigned depth;         /* of groups around this sequence */
        char run[256];          /* the literal being read */
        size_t run_len;
        bool last_literal;      /* the atom just read is run's last character */
        char best[256];         /* the longest run so far */
        size_t best_len;
        char reqs[1024];        /* requirements found: "a|b\n" (a group), "abc\n" (a run) */
        size_t reqs_len;
} Scan;

/* A line of the filter, whole or not at all: a line cut short would
 * require less than every one of its literals... or more. */
static void add_requirement(Scan *s, const char *text, size_t len) {
        if (len == 0 || s->reqs_len + len + 2 > sizeof s->reqs)
                return;         /* one requirement fewer: a weaker filter, still true */
        memcpy(s->reqs + s->reqs_len, text, len);
        s->reqs_len += len;
        s->reqs[s->reqs_len++] = '\n';
        s->reqs[s->reqs_len] = 0;
}

static void run_end(Scan *s) {
        if (s->run_len >= 2)
                add_requirement(s, s->run, s->run_len);
        if (s->run_len > s->best_len) {
                memcpy(s->best, s->run, s->run_len);
                s->best[s->run_len] = 0;
                s->best_len = s->run_len;
        }
        s->run_len = 0;
        s->last_literal = false;
}

/* A character a literal may hold: printable ASCII but the filter's '|'. */
static bool literal_char(char c) {
        return (unsigned char) c < 0x80 && isprint((unsigned char) c) && c != '|';
}

static void run_add(Scan *s, char c) {
        if (!literal_char(c)) {
                run_end(s);
                return;
        }
        if (s->run_len == sizeof s->run - 1)
                run_end(s);
        s->run[s->run_len++] = s->caseless ? (char) tolower((unsigned char) c) : c;
        s->last_literal = true;
}

/* A {n}, {n,}, {n,m} or {,m} quantifier at p: its length, 0 if p is not
 * one (PCRE2 10.42 then reads "{" as a character; a newer one, as Perl,
 * may read more as a quantifier: the callers take any other "{" as one
 * that may repeat nothing). *min: n. */
static size_t brace_quantifier(const char *p, const char *end, unsigned long *min) {
        const char *q = p + 1;
        *min = 0;
        if (q < end && *q == ',' && q + 1 < end && isdigit((unsigned char) q[1]))
                ;       /* {,m}: Perl 5.34 and PCRE2 10.43; min 0 */
        else if (q >= end || !isdigit((unsigned char) *q))
                return 0;
        while (q < end && isdigit((unsigned char) *q))
                *min = *min * 10 + (unsigned long) (*q++ - '0');
        if (q < end && *q == ',')
                for (q++; q < end && isdigit((unsigned char) *q); q++)
                        ;
        return q < end && *q == '}' ? (size_t) (q + 1 - p) : 0;
}

/* Whether the atom before p may match nothing: a quantifier ?, *, {0…}. */
static bool optional_after(const char *p, const char *end) {
        unsigned long min = 1;
        if (p >= end)
                return false;
        if (*p == '?' || *p == '*')
                return true;
        return *p == '{' && (brace_quantifier(p, end, &min) == 0 || min == 0);
}

/* Past a character class; p at its "[". */
static const char *skip_class(const char *p, const char *end) {
        p++;
        if (p < end && *p == '^')
                p++;
        if (p < end && *p == ']')
                p++;            /* a leading "]" is a member */
        while (p < end && *p != ']') {
                if (*p == '\\' && p + 1 < end)
                        p += 2;
                else if (*p == '[' && p + 1 < end && p[1] == ':') {
                        const char *c = memmem(p + 2, (size_t) (end - p - 2), ":]", 2);
                        p = c ? c + 2 : end;
                } else
                        p++;
        }
        return p < end ? p + 1 : end;
}

/* Past a group and what is nested in it; p at its "(". */
static const char *skip_group(const char *p, const char *end) {
        unsigned depth = 0;

        if (end - p >= 3 && p[1] == '?' && p[2] == '#') {       /* a comment, up to the first ")" */
                const char *c = memchr(p, ')', (size_t) (end - p));
                return c ? c + 1 : end;
        }
        while (p < end) {
                if (*p == '\\' && p + 1 < end)
                        p += 2;
                else if (*p == '[')
                        p = skip_class(p, end);
                else if (*p == '(') {
                        depth++;
                        p++;
                } else if (*p == ')') {
                        p++;
                        if (--depth == 0)
                                return p;
                } else
                        p++;
        }
        return end;
}

/* The next "|" of p..end at its own level, or end. */
static const char *next_alternative(const char *p, const char *end) {
        while (p < end && *p != '|') {
                if (*p == '\\' && p + 1 < end)
                        p += 2;
                else if (*p == '[')
                        p = skip_class(p, end);
                else if (*p == '(')
                        p = skip_group(p, end);
                else
                        p++;
        }
        return p;
}

static void scan_sequence(Scan *s);

/* Alternatives p..end ("a|b\S*|c"), one of which must match: the longest
 * run each of them requires, as one requirement "a|b|c", unless one of
 * them requires none. */
static void alternatives(Scan *s, const char *p, const char *end) {
        char set[512];
        size_t n = 0;

        if (s->depth >= REGEX_GROUP_DEPTH_MAX)
                return;
        for (const char *a = p;; a++) {
                const char *b = next_alternative(a, end);
                Scan sub = { .p = a, .end = b, .caseless = s->caseless, .depth = s->depth + 1 };
                scan_sequence(&sub);
                if (sub.best_len == 0 || n + sub.best_len + 1 >= sizeof set)
                        return;
                if (n > 0)
                        set[n++] = '|';
                memcpy(set + n, sub.best, sub.best_len);
                n += sub.best_len;
                if (b >= end)
                        break;
                a = b;
        }
        add_requirement(s, set, n);
}

/* A group at s->p: skipped; a group that must match (not made optional,
 * not an assertion, a condition or a named group) gives the requirement
 * of its alternatives. */
static void group(Scan *s) {
        const char *start = s->p, *end = skip_group(s->p, s->end);

        run_end(s);
        s->p = end;
        if (end - start < 2 || end[-1] != ')' || optional_after(end, s->end))
                return;
        start += end - start > 3 && start[1] == '?' && start[2] == ':' ? 3 : 1;
        if (*start == '?' || *start == '*')
                return;
        alternatives(s, start, end - 1);
}

/* A quantifier after the atom just read: a literal character that may be
 * absent leaves the run; any quantifier ends it. false: not a quantifier. */
static bool quantifier(Scan *s) {
        unsigned long min = 1;
        size_t n = 0;

        switch (*s->p) {
        case '*':
        case '?':
                min = 0;
                n = 1;
                break;
        case '+':
                n = 1;
                break;
        case '{':
                n = brace_quantifier(s->p, s->end, &min);
                break;
        default:
                break;
        }
        if (n == 0)
                return false;
        if (min == 0 && s->last_literal)
                s->run_len--;
        run_end(s);
        s->p += n;
        if (s->p < s->end && (*s->p == '?' || *s->p == '+'))
                s->p++;         /* lazy, possessive */
        return true;
}

/* An escape; s->p at the backslash. A character escaped that is not a
 * letter or digit stands for itself; the rest are classes, assertions,
 * back references or code points, skipped with their arguments. */
static void escape(Scan *s) {
        char c = s->p[1];

        s->p += 2;
        if (!isalnum((unsigned char) c)) {
                run_add(s, c);
                return;
        }
        run_end(s);
        if (strchr("xopPgkN", c) && s->p < s->end && strchr("{<'", *s->p)) {
                char close = *s->p == '{' ? '}' : *s->p == '<' ? '>' : '\'';
                const char *q = memchr(s->p, close, (size_t) (s->end - s->p));
                s->p = q ? q + 1 : s->end;
        } else if (c == 'x')
                for (int i = 0; i < 2 && s->p < s->end && isxdigit((unsigned char) *s->p); i++)
                        s->p++;
        else if (c == 'c' && s->p < s->end)
                s->p++;
        else if (isdigit((unsigned char) c))
                while (s->p < s->end && isdigit((unsigned char) *s->p))
                        s->p++;
}

/* A sequence without "|" at its own level (the caller splits there). */
static void scan_sequence(Scan *s) {
        while (s->p < s->end) {
                if (quantifier(s))
                        continue;
                switch (*s->p) {
                case '(':
                        group(s);
                        break;
                case '[':
                        run_end(s);
                        s->p = skip_class(s->p, s->end);
                        break;
                case '\\':
                        if (s->p + 1 >= s->end) {
                                run_end(s);
                                s->p++;
                        } else
                                escape(s);
                        break;
                case '{': {     /* not a quantifier to PCRE2 10.42, perhaps to another: skipped to "}" */
                        const char *close = memchr(s->p, '}', (size_t) (s->end - s->p));
                        if (s->last_literal)
                                s->run_len--;
                        run_end(s);
                        s->p = close ? close + 1 : s->end;
                        break;
                }
                case '.':
                case '^':
                case '$':
                case '|':       /* not reached: split by the caller */
                        run_end(s);
                        s->p++;
                        break;
                default:
                        run_add(s, *s->p++);
                        break;
                }
        }
        run_end(s);
}

static bool unsupported(const char *pattern, size_t len) {
        static const char options[] = "aimnsxJU-^)";
        for (size_t i = 0; i + 1 < len; i++) {
                if (pattern[i] == '\\') {
                        if (pattern[i + 1] == 'Q' || pattern[i + 1] == 'E')
                                return true;
                        i++;
                } else if (pattern[i] == '(' && pattern[i + 1] == '*')
                        return true;    /* (*UTF), (*ACCEPT), … */
                else if (pattern[i] == '(' && pattern[i + 1] == '?' && i + 2 < len && strchr(options, pattern[i + 2]))
                        return true;    /* (?i), (?x: …) */
        }
        return len > 0 && pattern[len - 1] == '\\';       /* does not compile */
}

char *regex_prefilter(const char *pattern, size_t len, bool caseless) {
        Scan s = { .p = pattern, .end = pattern + len, .caseless = caseless };

        if (unsupported(pattern, len))
                return NULL;
        if (next_alternative(pattern, s.end) < s.end)
                alternatives(&s, pattern, s.end);       /* "a|b" at the top */
        else
                scan_sequence(&s);
        return s.reqs_len > 0 ? strdup(s.reqs) : NULL;
}

/* Whether subject holds one of the literals of a filter's line. */
static bool holds_one(const char *line, const char *subject, size_t subject_len) {
        for (const char *p = line;;) {
                size_t n = strcspn(p, "|\n");
                if (memmem(subject, subject_len, p, n))
                        return true;
                if (p[n] != '|')
                        return false;
                p += n + 1;
        }
}

bool regex_prefilter_possible(const char *filter, bool caseless, const char *subject, size_t subject_len,
                              const char *subject_lower, bool subject_ascii) {
        if (!filter || (caseless && !subject_ascii))
                return true;
        for (const char *line = filter; *line; line = strchr(line, '\n') + 1)
                if (!holds_one(line, caseless ? subject_lower : subject, subject_len))
                        return false;
        return true;
}
