/* SPDX-License-Identifier: MIT */
/* The prefilter of a regular expression (see regex-literal.h): one pass
 * over the top level of the pattern, as PCRE2 reads Perl syntax. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex-literal.h"

typedef struct Scan {
        const char *p, *end;
        char run[256];          /* the literal being read */
        size_t run_len;
        bool last_literal;      /* the atom just read is run's last character */
        char best[256];         /* the longest run so far */
        size_t best_len;
        char sets[1024];        /* required groups of alternatives, "a|b\n" each */
        size_t sets_len;
        bool caseless;
} Scan;

static void run_end(Scan *s) {
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

/* A {n}, {n,} or {n,m} quantifier at p: its length, 0 if p is not one
 * (PCRE2 then reads "{" as a character). *min: n. */
static size_t brace_quantifier(const char *p, const char *end, unsigned long *min) {
        const char *q = p + 1;
        *min = 0;
        if (q >= end || !isdigit((unsigned char) *q))
                return 0;
        while (q < end && isdigit((unsigned char) *q))
                *min = *min * 10 + (unsigned long) (*q++ - '0');
        if (q < end && *q == ',')
                for (q++; q < end && isdigit((unsigned char) *q); q++)
                        ;
        return q < end && *q == '}' ? (size_t) (q + 1 - p) : 0;
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
                if ((unsigned char) c < 0x80)
                        run_add(s, c);
                else
                        run_end(s);
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
        return false;
}

/* A group "(…)" or "(?:…)", from p to end (just past its ")"), whose
 * alternatives are all plain characters, such as (?:dsl|cable|dhcp):
 * appended to s->sets as "dsl|cable|dhcp\n", unless a quantifier after it
 * lets it be absent. */
static void group_alternatives(Scan *s, const char *p, const char *end) {
        unsigned long min = 1;
        char buf[512];
        size_t n = 0;

        if (end < s->end && (*end == '?' || *end == '*'))
                return;
        if (end < s->end && *end == '{' && brace_quantifier(end, s->end, &min) > 0 && min == 0)
                return;
        if (end - p < 2 || end[-1] != ')')
                return;         /* unterminated */
        p += end - p > 3 && p[1] == '?' && p[2] == ':' ? 3 : 1;
        if (*p == '?' || *p == '*')
                return;         /* another kind of group: an assertion, a named group, … */
        for (end--; p < end; p++) {
                char c = *p;
                if (c == '|') {
                        if (n == 0 || buf[n - 1] == '|')
                                return;         /* an empty alternative */
                } else if (c == '\\' && p + 1 < end && !isalnum((unsigned char) p[1]) && literal_char(p[1]))
                        c = *++p;
                else if (strchr("\\()[]{}.^$*+?", c) || !literal_char(c))
                        return;
                if (n + 1 >= sizeof buf)
                        return;
                buf[n++] = s->caseless ? (char) tolower((unsigned char) c) : c;
        }
        if (n == 0 || buf[n - 1] == '|' || s->sets_len + n + 2 > sizeof s->sets)
                return;
        memcpy(s->sets + s->sets_len, buf, n);
        s->sets_len += n;
        s->sets[s->sets_len++] = '\n';
        s->sets[s->sets_len] = 0;
}

char *regex_prefilter(const char *pattern, size_t len, bool caseless) {
        Scan s = { .p = pattern, .end = pattern + len, .caseless = caseless };
        char *f;

        if (unsupported(pattern, len))
                return NULL;
        while (s.p < s.end) {
                const char *start = s.p;
                if (quantifier(&s))
                        continue;
                switch (*s.p) {
                case '|':
                        return NULL;    /* alternatives at the top: nothing is required */
                case '(':
                        run_end(&s);
                        s.p = skip_group(s.p, s.end);
                        group_alternatives(&s, start, s.p);
                        break;
                case '[':
                        run_end(&s);
                        s.p = skip_class(s.p, s.end);
                        break;
                case '\\':
                        if (s.p + 1 >= s.end)
                                return NULL;    /* PCRE2 does not compile it */
                        escape(&s);
                        break;
                case '.':
                case '^':
                case '$':
                case '{':       /* not a quantifier: a character, left out */
                        run_end(&s);
                        s.p++;
                        break;
                default:
                        run_add(&s, *s.p++);
                        break;
                }
        }
        run_end(&s);
        if (s.best_len < 2)     /* one character: PCRE2's own start-up checks do as well */
                s.best_len = 0;
        if (s.best_len == 0 && s.sets_len == 0)
                return NULL;
        if (asprintf(&f, "%.*s%s%s", (int) s.sets_len, s.sets, s.best_len ? s.best : "", s.best_len ? "\n" : "") < 0)
                return NULL;
        return f;
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
