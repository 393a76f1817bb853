/* SPDX-License-Identifier: MIT */
/* SpamAssassin's relay rules, read from its own files and evaluated as its
 * engine does (see sa-rules.h). The parts of its configuration language
 * read: header, meta, score, and the conditionals ifplugin/if/else/endif
 * (Mail/SpamAssassin/Conf/Parser.pm); every other line is skipped. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "regex-literal.h"
#include "sa-rules.h"
#include "strv.h"

#define SA_RULES_DIR "/usr/share/spamassassin"
#define SA_UPDATES_DIR "/var/lib/spamassassin"
#define SA_SITE_DIR "/etc/spamassassin"
#define SA_VERSION_MAJOR_MINOR 4.000001         /* Debian 12's 4.0.1, for "if (version >= …)" */
#define SA_LINE_MAX (1024 * 1024)    /* its own files have lines of 10 KiB */
#define SA_META_DEPTH_MAX 64

/* The evals whose value the caller knows (sa_rules_evaluate()'s evals). */
static const char * const known_evals[] = { "ALL_TRUSTED", "NO_RELAYS", "RCVD_HELO_IP_MISMATCH" };

typedef enum SaKind {
        SA_OTHER,               /* body, uri, other headers, unknown evals: not evaluated */
        SA_HEADER,              /* on a relay pseudo-header or Received: */
        SA_META,
        SA_EVAL,                /* one of known_evals */
} SaKind;

typedef enum SaHeader {
        SA_RELAYS_UNTRUSTED,
        SA_RELAYS_EXTERNAL,
        SA_RELAYS_TRUSTED,
        SA_RELAYS_INTERNAL,
        SA_RECEIVED,
        _SA_HEADER_MAX,
} SaHeader;

static const char * const header_names[_SA_HEADER_MAX] = {
        [SA_RELAYS_UNTRUSTED] = "X-Spam-Relays-Untrusted",
        [SA_RELAYS_EXTERNAL] = "X-Spam-Relays-External",
        [SA_RELAYS_TRUSTED] = "X-Spam-Relays-Trusted",
        [SA_RELAYS_INTERNAL] = "X-Spam-Relays-Internal",
        [SA_RECEIVED] = "Received",
};

typedef struct SaRule {
        char *name;
        SaKind kind;
        SaHeader header;
        bool negate;            /* !~ */
        pcre2_code *re;
        char *prefilter;        /* what every match of re contains (regex-literal.h), or NULL */
        bool caseless;
        char *expr;             /* a meta's expression */
        double score;
        bool scored;
        char *where;            /* file:line of the definition */
        int evaluable;          /* -1 unknown yet, 0, 1 */
} SaRule;

struct SaRules {
        SaRule *rules;
        size_t n, allocated;
        char **plugins;         /* loadplugin'ed */
        char *source;
        bool no_prefilter;      /* sa_rules_set_prefilter() */
        size_t *scoring;        /* the evaluable scoring rules, in name order */
        size_t n_scoring;
};

static void rule_done(SaRule *r) {
        free(r->name);
        free(r->expr);
        free(r->where);
        free(r->prefilter);
        pcre2_code_free(r->re);
}

SaRules *sa_rules_free(SaRules *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                rule_done(&s->rules[i]);
        free(s->rules);
        strv_free(s->plugins);
        free(s->source);
        free(s->scoring);
        free(s);
        return NULL;
}

const char *sa_rules_source(const SaRules *s) {
        return s->source;
}

static SaRule *rule_find(const SaRules *s, const char *name, size_t len) {
        size_t lo = 0, hi = s->n;

        while (lo < hi) {       /* sorted by sa_rules_finish() */
                size_t mid = (lo + hi) / 2;
                int c = strncmp(s->rules[mid].name, name, len);
                if (c == 0 && s->rules[mid].name[len])
                        c = 1;
                if (c == 0)
                        return &s->rules[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* While loading: the rule of that name, made if new (linear: the table is
 * sorted once at the end). A later definition replaces an earlier one. */
static SaRule *rule_get(SaRules *s, const char *name) {
        for (size_t i = s->n; i > 0; i--)
                if (streq(s->rules[i - 1].name, name))
                        return &s->rules[i - 1];
        if (s->n == s->allocated) {
                size_t k = s->allocated ? s->allocated * 2 : 1024;
                SaRule *l = reallocarray(s->rules, k, sizeof(SaRule));
                if (!l)
                        return NULL;
                s->rules = l;
                s->allocated = k;
        }
        s->rules[s->n] = (SaRule) { .name = strdup(name), .evaluable = -1 };
        if (!s->rules[s->n].name)
                return NULL;
        return &s->rules[s->n++];
}

/* ---- parsing one line ---- */

/* "/re/flags" or "m{re}flags" (any delimiter; brackets pair): the PCRE2
 * code, as Perl reads the pattern, into r with its prefilter. */
static int compile_regex(SaRule *r, const char *p, const char **why) {
        char open = '/', close = '/';
        uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;    /* a pattern that is not UTF-8 fails to compile */
        const char *start, *end;
        int error;
        PCRE2_SIZE offset;

        if (p[0] == 'm' && p[1] && !isalnum((unsigned char) p[1]) && !isspace((unsigned char) p[1])) {
                open = p[1];
                close = open == '{' ? '}' : open == '(' ? ')' : open == '[' ? ']' : open == '<' ? '>' : open;
                p++;
        }
        if (*p != open)
                return *why = "no regular expression", -EINVAL;
        start = ++p;
        for (end = start; *end && *end != close; end++)
                if (*end == '\\' && end[1])
                        end++;
        if (*end != close)
                return *why = "an unterminated regular expression", -EINVAL;
        for (const char *f = end + 1; *f && !isspace((unsigned char) *f); f++)
                switch (*f) {
                case 'i': options |= PCRE2_CASELESS; break;
                case 'm': options |= PCRE2_MULTILINE; break;
                case 's': options |= PCRE2_DOTALL; break;
                case 'x': options |= PCRE2_EXTENDED; break;
                default: break;         /* g, o: nothing for a match */
                }
        r->re = pcre2_compile((PCRE2_SPTR) start, (PCRE2_SIZE) (end - start), options, &error, &offset, NULL);
        if (!r->re)
                return *why = "a regular expression PCRE2 does not compile", -EINVAL;
        r->caseless = options & PCRE2_CASELESS;
        if (!(options & PCRE2_EXTENDED))
                r->prefilter = regex_prefilter(start, (size_t) (end - start), r->caseless);
        return 0;
}

static int parse_header(SaRules *s, char *rest, const char *where, const char **why) {
        char name[256], header[256];
        int n = 0;

        if (sscanf(rest, "%255s %255s %n", name, header, &n) != 2 || n == 0)
                return *why = "a header rule without name and header", -EINVAL;
        char *op = rest + n;
        SaHeader h = _SA_HEADER_MAX;
        for (SaHeader i = 0; i < _SA_HEADER_MAX; i++)
                if (streq(header, header_names[i]))
                        h = i;
        SaRule *r = rule_get(s, name);
        if (!r)
                return -ENOMEM;
        rule_done(r);
        *r = (SaRule) { .name = strdup(name), .kind = SA_OTHER, .evaluable = -1, .where = strdup(where),
                        .score = r->score, .scored = r->scored };
        if (!r->name || !r->where)
                return -ENOMEM;
        if (strncmp(header, "eval:", 5) == 0) {
                for (size_t i = 0; i < ELEMENTSOF(known_evals); i++)
                        if (streq(name, known_evals[i]))
                                r->kind = SA_EVAL;
                return 0;
        }
        if (h == _SA_HEADER_MAX)
                return 0;       /* another header: a rule we do not evaluate */
        if (strncmp(op, "=~", 2) != 0 && strncmp(op, "!~", 2) != 0)
                return *why = "a header rule without =~ or !~", -EINVAL;
        r->negate = op[0] == '!';
        op += 2;
        op += strspn(op, " \t");
        int k = compile_regex(r, op, why);
        if (k < 0)
                return k;
        r->kind = SA_HEADER;
        r->header = h;
        return 0;
}

static int parse_meta(SaRules *s, char *rest, const char *where, const char **why) {
        char name[256];
        int n = 0;

        if (sscanf(rest, "%255s %n", name, &n) != 1 || n == 0 || !rest[n])
                return *why = "a meta rule without an expression", -EINVAL;
        SaRule *r = rule_get(s, name);
        if (!r)
                return -ENOMEM;
        double score = r->score;
        bool scored = r->scored;
        rule_done(r);
        *r = (SaRule) { .name = strdup(name), .kind = SA_META, .evaluable = -1, .expr = strdup(rest + n),
                        .where = strdup(where), .score = score, .scored = scored };
        return r->name && r->expr && r->where ? 0 : -ENOMEM;
}

/* "score NAME s0 [s1 s2 s3]": set 3 (Bayes and network tests on) is the
 * fourth; one value stands for all four. */
static int parse_score(SaRules *s, char *rest, const char **why) {
        char name[256];
        double v[4];
        int n = 0, k = 0;

        if (sscanf(rest, "%255s %n", name, &n) != 1)
                return *why = "a score line without a rule", -EINVAL;
        for (char *p = rest + n; k < 4 && *p; k++) {
                char *end;
                p += strspn(p, " \t(");
                if (!*p)
                        break;
                v[k] = strtod(p, &end);
                if (end == p)
                        return *why = "a score that is not a number", -EINVAL;
                p = end + strspn(end, ")");
        }
        if (k == 0)
                return *why = "a score line without a score", -EINVAL;
        SaRule *r = rule_get(s, name);
        if (!r)
                return -ENOMEM;
        r->score = v[k == 4 ? 3 : 0];
        r->scored = true;
        return 0;
}

/* ---- conditionals ---- */

static bool plugin_loaded(const SaRules *s, const char *name) {
        size_t n = strcspn(name, ") \t");

        for (char **p = s->plugins; p && *p; p++)
                if (strlen(*p) == n && strncmp(*p, name, n) == 0)
                        return true;
        return false;
}

/* "if" conditions as SpamAssassin's files write them: version comparisons,
 * can(…) (features this version has), plugin(…), and negations. */
static bool condition_true(const SaRules *s, const char *c) {
        c += strspn(c, " \t(");
        if (*c == '!')
                return !condition_true(s, c + 1);
        if (strncmp(c, "plugin(", 7) == 0)
                return plugin_loaded(s, c + 7);
        if (strncmp(c, "version", 7) == 0) {
                double want = 0;
                char op[3] = "";
                if (sscanf(c + 7, " %2[<>=!] %lf", op, &want) == 2) {
                        double have = SA_VERSION_MAJOR_MINOR;
                        return streq(op, ">=") ? have >= want : streq(op, ">") ? have > want :
                               streq(op, "<=") ? have <= want : streq(op, "<") ? have < want :
                               streq(op, "==") ? have == want : have != want;
                }
        }
        return true;            /* can(…) and the rest: this version has it */
}

typedef struct ParseRun {
        SaRules *rules;
        bool active[32];        /* the conditional blocks we are in */
        int depth;
        unsigned bad;
        char *first_bad;
} ParseRun;

static bool run_active(const ParseRun *p) {
        for (int i = 0; i < p->depth; i++)
                if (!p->active[i])
                        return false;
        return true;
}

static int parse_line(ParseRun *p, char *line, const char *where, const char **why) {
        char word[32];
        int n = 0;

        /* a comment starts at a # that no backslash escapes */
        for (char *c = line; *c; c++)
                if (*c == '#' && (c == line || c[-1] != '\\')) {
                        *c = 0;
                        break;
                }
        if (sscanf(line, "%31s %n", word, &n) != 1)
                return 0;
        char *rest = line + n;
        rest[strcspn(rest, "\r\n")] = 0;
        if (streq(word, "ifplugin") || streq(word, "if")) {
                if (p->depth == (int) ELEMENTSOF(p->active))
                        return *why = "conditionals nested too deep", -EINVAL;
                p->active[p->depth++] = streq(word, "if") ? condition_true(p->rules, rest) :
                                                           plugin_loaded(p->rules, rest);
                return 0;
        }
        if (streq(word, "else"))
                return p->depth > 0 ? (p->active[p->depth - 1] = !p->active[p->depth - 1], 0) :
                                      (*why = "else without if", -EINVAL);
        if (streq(word, "endif"))
                return p->depth > 0 ? (p->depth--, 0) : (*why = "endif without if", -EINVAL);
        if (!run_active(p))
                return 0;
        if (streq(word, "loadplugin")) {
                char plugin[256];
                return sscanf(rest, "%255s", plugin) == 1 ? strv_extend(&p->rules->plugins, plugin) : 0;
        }
        if (streq(word, "header"))
                return parse_header(p->rules, rest, where, why);
        if (streq(word, "meta"))
                return parse_meta(p->rules, rest, where, why);
        if (streq(word, "score"))
                return parse_score(p->rules, rest, why);
        return 0;
}

static int parse_file(ParseRun *p, const char *path) {
        FILE *f = fopen(path, "re");
        char *line = NULL;
        size_t allocated = 0;
        unsigned number = 0;
        ssize_t len;
        int r = 0;

        if (!f)
                return -errno;
        p->depth = 0;
        while ((len = getline(&line, &allocated, f)) >= 0) {
                char where[1100];
                const char *why = NULL;
                snprintf(where, sizeof where, "%s:%u", path, ++number);
                if (len > SA_LINE_MAX) {
                        why = "a line longer than 1 MiB";
                        r = -EINVAL;
                } else
                        r = parse_line(p, line, where, &why);
                if (r < 0 && r != -ENOMEM && p->bad++ == 0 &&
                    asprintf(&p->first_bad, "%s: %s", where, why ?: "malformed") < 0)
                        r = -ENOMEM;
                if (r == -ENOMEM)
                        break;
                r = 0;
        }
        free(line);
        fclose(f);
        return r;
}

/* Every file ending in suffix in dir, in name order, as SpamAssassin reads them. */
static int parse_dir(ParseRun *p, const char *dir, const char *suffix) {
        _cleanup_strv_free_ char **names = NULL;
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;
        int r = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name), k = strlen(suffix);
                if (len > k && streq(de->d_name + len - k, suffix) && strv_extend(&names, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        }
        closedir(d);
        strv_sort(names);
        n = strv_length(names);
        for (size_t i = 0; i < n && r != -ENOMEM; i++) {
                char path[1024];
                snprintf(path, sizeof path, "%s/%s", dir, names[i]);
                r = parse_file(p, path);
        }
        return r == -ENOMEM ? r : (int) n;
}

/* ---- which rules are evaluated ---- */

/* The identifiers of a meta expression, one after another. */
static const char *next_identifier(const char *p, size_t *len) {
        while (*p) {
                if (isalpha((unsigned char) *p) || *p == '_') {
                        const char *start = p;
                        while (isalnum((unsigned char) *p) || *p == '_')
                                p++;
                        *len = (size_t) (p - start);
                        return start;
                }
                if (isdigit((unsigned char) *p) || *p == '.')
                        while (isalnum((unsigned char) *p) || *p == '.')
                                p++;
                else
                        p++;
        }
        return NULL;
}

static bool rule_evaluable(SaRules *s, SaRule *r, unsigned depth) {
        if (r->evaluable >= 0)
                return r->evaluable;
        if (r->kind != SA_META || depth > SA_META_DEPTH_MAX)
                return (r->evaluable = r->kind == SA_HEADER || r->kind == SA_EVAL);
        r->evaluable = 0;       /* a loop of metas is not evaluable */
        bool ok = true;
        size_t len;
        for (const char *p = r->expr; ok && (p = next_identifier(p, &len)); p += len) {
                SaRule *dep = rule_find(s, p, len);
                ok = dep && rule_evaluable(s, dep, depth + 1);
        }
        return (r->evaluable = ok);
}

static int rule_compare(const void *a, const void *b) {
        return strcmp(((const SaRule *) a)->name, ((const SaRule *) b)->name);
}

static int sa_rules_finish(SaRules *s) {
        if (s->n > 0)
                qsort(s->rules, s->n, sizeof(SaRule), rule_compare);
        s->scoring = calloc(s->n + 1, sizeof(size_t));
        if (!s->scoring)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++) {
                SaRule *r = &s->rules[i];
                if (strncmp(r->name, "__", 2) == 0 || r->kind == SA_OTHER || !r->where)
                        continue;
                if (!r->scored)         /* Conf.pm: 1.0, 0.01 for a T_ rule in testing */
                        r->score = strncmp(r->name, "T_", 2) == 0 ? 0.01 : 1.0;
                if (r->score != 0 && rule_evaluable(s, r, 0))   /* a score of 0 disables a rule */
                        s->scoring[s->n_scoring++] = i;
        }
        return 0;
}

/* The newest sa-update directory: /var/lib/spamassassin/<version>/updates_spamassassin_org. */
static char *updates_dir(void) {
        DIR *d = opendir(SA_UPDATES_DIR);
        struct dirent *de;
        char *best = NULL;

        if (!d)
                return NULL;
        while ((de = readdir(d))) {
                char path[1024];
                if (!isdigit((unsigned char) de->d_name[0]))
                        continue;
                snprintf(path, sizeof path, SA_UPDATES_DIR "/%s/updates_spamassassin_org", de->d_name);
                DIR *u = opendir(path);
                if (!u)
                        continue;
                closedir(u);
                if (!best || strcmp(path, best) > 0) {
                        free(best);
                        best = strdup(path);
                }
        }
        closedir(d);
        return best;
}

int sa_rules_load(const char *rules_dir, const char *site_dir, SaRules **ret, unsigned *ret_bad,
                  char **ret_first_bad) {
        _cleanup_free_ char *updates = rules_dir ? NULL : updates_dir();
        ParseRun p = { .rules = calloc(1, sizeof(SaRules)) };
        const char *dir = rules_dir ?: updates ?: SA_RULES_DIR;
        int r, n;

        *ret = NULL;
        *ret_bad = 0;
        *ret_first_bad = NULL;
        if (!p.rules)
                return -ENOMEM;
        /* plugins first: the site's .pre files, then the rules' own */
        r = parse_dir(&p, site_dir ?: SA_SITE_DIR, ".pre");
        if (r != -ENOMEM)
                r = parse_dir(&p, dir, ".pre");
        if (r != -ENOMEM)
                r = n = parse_dir(&p, dir, ".cf");
        if (r >= 0 && n == 0)
                r = -ENOENT;
        if (r >= 0)
                r = parse_dir(&p, site_dir ?: SA_SITE_DIR, ".cf");
        if (r == -ENOENT && p.rules->n > 0)
                r = 0;          /* no site files */
        if (r >= 0)
                r = sa_rules_finish(p.rules);
        if (r >= 0 && asprintf(&p.rules->source, "%s (SpamAssassin 4.0.1)", dir) < 0)
                r = -ENOMEM;
        if (r < 0 || p.rules->n_scoring == 0) {
                sa_rules_free(p.rules);
                free(p.first_bad);
                return r == -ENOMEM ? r : 0;    /* no rules: the caller estimates */
        }
        *ret = p.rules;
        *ret_bad = p.bad;
        *ret_first_bad = p.first_bad;
        return 0;
}

/* ---- evaluation ---- */

typedef struct EvalRun {
        const SaRules *rules;
        const char *text[_SA_HEADER_MAX];
        size_t text_len[_SA_HEADER_MAX];
        const char *lower[_SA_HEADER_MAX];      /* lower-cased, for caseless literals */
        bool ascii[_SA_HEADER_MAX];
        const SaEval *evals;
        size_t n_evals;
        int8_t *value;          /* per rule: -1 not yet */
        pcre2_match_data *match;
} EvalRun;

static double rule_value(EvalRun *e, size_t i, unsigned depth);

/* A meta's expression: Perl's precedence for ! * / + - < > <= >= == != && ||. */
typedef struct Expr {
        EvalRun *run;
        const char *p;
        unsigned depth;
        bool bad;
        unsigned skipping;      /* inside an operand && or || does not need: parsed, not evaluated */
} Expr;

static double expr_or(Expr *x);

static void skip_space(Expr *x) {
        x->p += strspn(x->p, " \t");
}

static double expr_primary(Expr *x) {
        skip_space(x);
        if (*x->p == '!') {
                x->p++;
                return expr_primary(x) == 0;
        }
        if (*x->p == '-') {
                x->p++;
                return -expr_primary(x);
        }
        if (*x->p == '(') {
                x->p++;
                double v = expr_or(x);
                skip_space(x);
                if (*x->p == ')')
                        x->p++;
                else
                        x->bad = true;
                return v;
        }
        if (isdigit((unsigned char) *x->p) || *x->p == '.') {
                char *end;
                double v = strtod(x->p, &end);
                x->p = end;
                return v;
        }
        size_t len = 0;
        while (isalnum((unsigned char) x->p[len]) || x->p[len] == '_')
                len++;
        if (len == 0) {
                x->bad = true;
                return 0;
        }
        if (x->skipping) {
                x->p += len;
                return 0;
        }
        SaRule *r = rule_find(x->run->rules, x->p, len);
        x->p += len;
        return r ? rule_value(x->run, (size_t) (r - x->run->rules->rules), x->depth + 1) : 0;
}

static double expr_binary(Expr *x, int level);

/* Levels, loosest first: || && (== !=) (< > <= >=) (+ -) (* /). */
static const char * const level_ops[][4] = {
        { "||" }, { "&&" }, { "==", "!=" }, { "<=", ">=", "<", ">" }, { "+", "-" }, { "*", "/" },
};

static double apply(const char *op, double a, double b) {
        switch (op[0]) {
        case '|': return a != 0 || b != 0;
        case '&': return a != 0 && b != 0;
        case '=': return a == b;
        case '!': return a != b;
        case '<': return op[1] == '=' ? a <= b : a < b;
        case '>': return op[1] == '=' ? a >= b : a > b;
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        default: return b != 0 ? a / b : 0;
        }
}

static double expr_binary(Expr *x, int level) {
        if (level == (int) ELEMENTSOF(level_ops))
                return expr_primary(x);
        double v = expr_binary(x, level + 1);
        for (;;) {
                const char *op = NULL;
                skip_space(x);
                for (size_t i = 0; i < 4 && level_ops[level][i]; i++)
                        if (strncmp(x->p, level_ops[level][i], strlen(level_ops[level][i])) == 0) {
                                op = level_ops[level][i];
                                break;
                        }
                if (!op || x->bad)
                        return v;
                x->p += strlen(op);
                /* as Perl: the right of && and || only when the left leaves it open */
                bool settled = (op[0] == '&' && v == 0) || (op[0] == '|' && v != 0);
                x->skipping += settled;
                double right = expr_binary(x, level + 1);
                x->skipping -= settled;
                v = settled ? (op[0] == '|') : apply(op, v, right);
        }
}

static double expr_or(Expr *x) {
        return expr_binary(x, 0);
}

static double rule_value(EvalRun *e, size_t i, unsigned depth) {
        const SaRule *r = &e->rules->rules[i];

        if (e->value[i] >= 0)
                return e->value[i];
        double v = 0;
        switch (r->kind) {
        case SA_HEADER: {
                SaHeader h = r->header;
                int m = PCRE2_ERROR_NOMATCH;
                if (e->rules->no_prefilter ||
                    regex_prefilter_possible(r->prefilter, r->caseless, e->text[h], e->text_len[h], e->lower[h],
                                             e->ascii[h]))
                        m = pcre2_match(r->re, (PCRE2_SPTR) e->text[h], e->text_len[h], 0, 0, e->match, NULL);
                v = (m >= 0) != r->negate;
                break;
        }
        case SA_EVAL:
                for (size_t k = 0; k < e->n_evals; k++)
                        if (streq(e->evals[k].name, r->name))
                                v = e->evals[k].value;
                break;
        case SA_META:
                if (depth <= SA_META_DEPTH_MAX) {
                        Expr x = { .run = e, .p = r->expr, .depth = depth };
                        v = expr_or(&x);
                        if (x.bad)
                                v = 0;
                }
                break;
        default:
                break;
        }
        /* a meta's value may be a count; a rule hits when it is not 0 */
        e->value[i] = v != 0;
        return v;
}

/* As Postfix writes the client into its Received header, and SpamAssassin's
 * Received.pm turns it into a relay line: helo with [ ] ( ) < > | # and
 * white space replaced by "!". */
static void relay_texts(const SaRelay *relay, char *line, size_t line_size, char *received, size_t received_size) {
        char helo[300] = "";

        snprintf(helo, sizeof helo, "%s", relay->helo ?: "");
        for (char *c = helo; *c; c++)
                if (strchr(" \t[]()<>|#", *c))
                        *c = '!';
        snprintf(line, line_size, "[ ip=%s rdns=%s helo=%s by=mx.receiver.invalid ident= envfrom= intl=0 "
                 "id=1A2B3C4D5E auth= msa=0 ]", relay->ip, relay->rdns, helo);
        snprintf(received, received_size, "from %s (%s [%s])\n\tby mx.receiver.invalid (Postfix) with ESMTP id "
                 "1A2B3C4D5E\n\tfor <postmaster@receiver.invalid>; Mon, 30 Nov 2026 00:00:00 +0000",
                 relay->helo ?: "unknown", *relay->rdns ? relay->rdns : "unknown", relay->ip);
}

/* Lower-case text into buf; whether it is all ASCII. */
static bool lower_ascii(const char *text, char *buf, size_t size) {
        bool ascii = true;
        size_t i;
        for (i = 0; text[i] && i + 1 < size; i++) {
                ascii = ascii && !((unsigned char) text[i] & 0x80);
                buf[i] = (char) tolower((unsigned char) text[i]);
        }
        buf[i] = 0;
        return ascii;
}

void sa_rules_set_prefilter(SaRules *s, bool on) {
        s->no_prefilter = !on;
}

int sa_rules_evaluate(const SaRules *s, const SaRelay *relay, const SaEval *evals, size_t n_evals,
                      sa_hit_t hit, void *userdata) {
        char line[1024], received[1024], line_lower[1024], received_lower[1024];
        EvalRun e = { .rules = s, .evals = evals, .n_evals = n_evals };
        int r = 0;

        relay_texts(relay, line, sizeof line, received, sizeof received);
        /* mail from outside, relayed by the receiver's own Postfix: the
         * relay is untrusted and external; nothing is trusted or internal */
        e.text[SA_RELAYS_UNTRUSTED] = e.text[SA_RELAYS_EXTERNAL] = line;
        e.text[SA_RELAYS_TRUSTED] = e.text[SA_RELAYS_INTERNAL] = "";
        e.text[SA_RECEIVED] = received;
        bool line_ascii = lower_ascii(line, line_lower, sizeof line_lower);
        bool received_ascii = lower_ascii(received, received_lower, sizeof received_lower);
        for (SaHeader h = 0; h < _SA_HEADER_MAX; h++) {
                e.text_len[h] = strlen(e.text[h]);
                e.lower[h] = e.text[h] == line ? line_lower : e.text[h] == received ? received_lower : "";
                e.ascii[h] = e.text[h] == line ? line_ascii : e.text[h] == received ? received_ascii : true;
        }
        e.value = malloc(s->n);
        e.match = pcre2_match_data_create(32, NULL);
        if (!e.value || !e.match) {
                free(e.value);
                pcre2_match_data_free(e.match);
                return -ENOMEM;
        }
        memset(e.value, -1, s->n);
        for (size_t k = 0; r >= 0 && k < s->n_scoring; k++) {
                const SaRule *rule = &s->rules[s->scoring[k]];
                (void) rule_value(&e, s->scoring[k], 0);
                if (e.value[s->scoring[k]])
                        r = hit(rule->name, rule->score, rule->where, userdata);
        }
        free(e.value);
        pcre2_match_data_free(e.match);
        return r;
}
