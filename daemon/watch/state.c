/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "receivers-predict.h"
#include "state.h"
#include "strv.h"

/* Version 2 added the HELO names checked (field 5), what DNS said of the
 * first (field 9, for the receivers' predictions) and who holds the reverse
 * zone (field 10: zone, contact, classless 0/1, registry, name servers; "-"
 * for none); version 1 files are read as having none, so their verdicts
 * are checked again when the address is sent from with a HELO name. */
#define STATE_MAGIC "ptrwatch-state 2"
#define STATE_MAGIC_V1 "ptrwatch-state 1"
#define N_FIELDS 12
#define N_FIELDS_V1 9
/* Where version 1's fields go among version 2's. */
static const int v1_fields[N_FIELDS_V1] = { 0, 1, 2, 3, 4, 6, 7, 8, 11 };

static void put_authority(FILE *f, const Authority *a);

void verdicts_free(Verdict **v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                verdict_free(v[i]);
        free(v);
}

static int put_escaped(FILE *f, const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p == '\\' || *p == ',')
                        fprintf(f, "\\%c", *p);
                else if (*p == '\t')
                        fputs("\\t", f);
                else if (*p == '\n')
                        fputs("\\n", f);
                else if (*p < 0x20 || *p >= 0x7f)
                        fprintf(f, "\\x%02x", *p);
                else
                        fputc(*p, f);
        return 0;
}

static void put_list(FILE *f, char * const *l) {
        for (char * const *i = l; i && *i; i++) {
                if (i != l)
                        fputc(',', f);
                put_escaped(f, *i);
        }
}

int state_format(Verdict * const *v, size_t n, char **ret, size_t *ret_size) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "%s\n", STATE_MAGIC);
        for (size_t i = 0; i < n; i++) {
                char addr[ADDRESS_STRING_MAX];
                bool first = true;

                fprintf(f, "%s\t%s\t", address_to_string(&v[i]->address, addr), verdict_kind_to_string(v[i]->kind));
                for (Reason r = 0; r < _REASON_MAX; r++)
                        if (v[i]->reasons & REASON_BIT(r)) {
                                fprintf(f, "%s%s", first ? "" : ",", reason_to_string(r));
                                first = false;
                        }
                fputc('\t', f);
                put_list(f, v[i]->ptr);
                fputc('\t', f);
                put_list(f, v[i]->confirmed);
                fputc('\t', f);
                put_list(f, v[i]->helo);
                fprintf(f, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%u\t", v[i]->ttl, v[i]->checked_at,
                        v[i]->expires_at, v[i]->helo_dns);
                if (v[i]->authority && v[i]->authority->zone)
                        put_authority(f, v[i]->authority);
                fputc('\t', f);
                put_escaped(f, v[i]->message ? v[i]->message : "");
                fputc('\n', f);
        }
        fprintf(f, "end %zu\n", n);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}

/* Split s at unescaped sep (in place); unescape each piece. */
static int unescape_field(char *s, char **ret_end, char sep) {
        char *w = s, *r = s;

        for (; *r && *r != sep; r++) {
                if (*r != '\\') {
                        *w++ = *r;
                        continue;
                }
                r++;
                switch (*r) {
                case '\\': case ',': *w++ = *r; break;
                case 't': *w++ = '\t'; break;
                case 'n': *w++ = '\n'; break;
                case 'x': {
                        if (!isxdigit((unsigned char) r[1]) || !isxdigit((unsigned char) r[2]))
                                return -EBADMSG;
                        char hex[3] = { r[1], r[2], 0 };
                        unsigned long c = strtoul(hex, NULL, 16);
                        if (c == 0)
                                return -EBADMSG;
                        *w++ = (char) c;
                        r += 2;
                        break;
                }
                default:
                        return -EBADMSG;
                }
        }
        *ret_end = *r ? r + 1 : NULL;   /* NULL: no separator followed */
        *w = 0;
        return 0;
}

static int parse_list(char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        char *next;
        int r;

        if (*s == 0) {
                *ret = NULL;
                return 0;
        }
        for (char *p = s; p; p = next) {
                r = unescape_field(p, &next, ',');
                if (r < 0)
                        return r;
                if (*p == 0 || strv_length(l) >= 1024)
                        return -EBADMSG;
                r = strv_extend(&l, p);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static void put_authority(FILE *f, const Authority *a) {
        char *fixed[] = { a->zone, a->contact ?: (char *) "-", (char *) (a->classless ? "1" : "0"),
                          a->registry ?: (char *) "-", NULL };

        put_list(f, fixed);
        if (a->nameservers) {
                fputc(',', f);
                put_list(f, a->nameservers);
        }
}

static int parse_authority(char *field, Authority **ret) {
        _cleanup_strv_free_ char **l = NULL;
        Authority *a;

        *ret = NULL;
        if (!*field)
                return 0;
        if (parse_list(field, &l) < 0 || strv_length(l) < 4 || !strv_is_utf8(l) ||
            (!streq(l[2], "0") && !streq(l[2], "1")))
                return -EBADMSG;
        a = calloc(1, sizeof(Authority));
        if (!a)
                return -ENOMEM;
        /* copies: taking an element out would end the list for strv_free() */
        a->classless = streq(l[2], "1");
        a->zone = strdup(l[0]);
        a->contact = streq(l[1], "-") ? NULL : strdup(l[1]);
        a->registry = streq(l[3], "-") ? NULL : strdup(l[3]);
        if (!a->zone || (!a->contact && !streq(l[1], "-")) || (!a->registry && !streq(l[3], "-")) ||
            (l[4] && !(a->nameservers = strv_copy(l + 4)))) {
                authority_free(a);
                return -ENOMEM;
        }
        *ret = a;
        return 0;
}

static int parse_u64(const char *s, uint64_t *ret) {
        char *e;

        if (!isdigit((unsigned char) *s))
                return -EBADMSG;
        errno = 0;
        *ret = strtoull(s, &e, 10);
        return errno || *e ? -EBADMSG : 0;
}

static int parse_entry(char *line, int version, const ReceiverRules *rules, Verdict **ret, const char **why) {
        _cleanup_(verdict_freep) Verdict *v = NULL;
        char *field[N_FIELDS], *p = line, empty[] = "", zero[] = "0";
        int n_fields = version == 1 ? N_FIELDS_V1 : N_FIELDS;
        uint64_t helo_dns;
        Address a;
        int k;

        /* version 1 had no HELO names and no HELO facts */
        field[5] = empty;
        field[9] = zero;
        field[10] = empty;
        /* Split on tabs: the message is last and may not hold a raw tab. */
        for (int i = 0; i < n_fields; i++) {
                char *t = strchr(p, '\t');
                field[version == 1 ? v1_fields[i] : i] = p;
                if (i < n_fields - 1) {
                        if (!t)
                                return *why = "too few fields", -EBADMSG;
                        *t = 0;
                        p = t + 1;
                } else if (t)
                        return *why = "too many fields", -EBADMSG;
        }

        if (address_parse(field[0], &a, NULL) < 0)
                return *why = "malformed address", -EBADMSG;
        v = verdict_new(&a);
        if (!v)
                return -ENOMEM;
        k = verdict_kind_from_string(field[1]);
        /* Only definitive verdicts are persisted: a temperror is not an answer. */
        if (k != VERDICT_PASS && k != VERDICT_WARN && k != VERDICT_FAIL)
                return *why = "unknown or non-definitive verdict", -EBADMSG;
        v->kind = (VerdictKind) k;

        if (*field[2]) {
                char *save = NULL;
                for (char *r = strtok_r(field[2], ",", &save); r; r = strtok_r(NULL, ",", &save)) {
                        int reason = reason_from_string(r);
                        if (reason < 0)
                                return *why = "unknown reason", -EBADMSG;
                        v->reasons |= REASON_BIT(reason);
                }
        }
        if (parse_list(field[3], &v->ptr) < 0 || parse_list(field[4], &v->confirmed) < 0 ||
            parse_list(field[5], &v->helo) < 0)
                return *why = "malformed name list", -EBADMSG;
        if (parse_u64(field[6], &v->ttl) < 0 || parse_u64(field[7], &v->checked_at) < 0 ||
            parse_u64(field[8], &v->expires_at) < 0)
                return *why = "malformed number", -EBADMSG;
        if (v->expires_at < v->checked_at)
                return *why = "expires before it was checked", -EBADMSG;
        char *end;
        if (parse_u64(field[9], &helo_dns) < 0 || helo_dns > UINT16_MAX)
                return *why = "malformed HELO facts", -EBADMSG;
        v->helo_dns = (unsigned) helo_dns;
        k = parse_authority(field[10], &v->authority);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return *why = "malformed authority", -EBADMSG;
        if (unescape_field(field[11], &end, '\t') < 0 || end)
                return *why = "malformed message", -EBADMSG;
        /* D-Bus carries only UTF-8: one bad byte here would fail every GetVerdicts. */
        if (!strv_is_utf8(v->ptr) || !strv_is_utf8(v->confirmed) || !strv_is_utf8(v->helo) ||
            !utf8_is_valid(field[11]))
                return *why = "not valid UTF-8", -EBADMSG;
        v->message = strdup(field[11]);
        if (!v->message)
                return -ENOMEM;
        /* the predictions are not stored: made again from what is */
        k = receivers_predict(v, rules, NULL);
        if (k < 0)
                return k;
        v->watched = true;
        *ret = TAKE_PTR(v);
        return 0;
}

/* The parse so far: where we are, what was read, what went wrong. */
typedef struct StateParse {
        char *next;             /* the next line */
        size_t line_no;
        Verdict **list;
        size_t n;
        const char *why;
        int version;            /* of the file's format */
        const ReceiverRules *rules;     /* the predictions made again with these */
} StateParse;

/* The next line, NUL-terminated in place; NULL at the end of the text. */
static char *next_line(StateParse *p) {
        char *line = p->next, *nl;

        if (!line || !*line)
                return NULL;
        p->line_no++;
        nl = strchr(line, '\n');
        if (!nl) {
                p->why = "the last line is cut short";
                return NULL;
        }
        *nl = 0;
        p->next = nl + 1;
        return line;
}

static int parse_header(StateParse *p) {
        const char *line = next_line(p);

        if (!line) {
                p->why = p->why ?: "empty";
                return -EBADMSG;
        }
        if (streq(line, STATE_MAGIC))
                p->version = 2;
        else if (streq(line, STATE_MAGIC_V1))
                p->version = 1;
        else {
                p->why = "not a ptrwatch state file (bad first line)";
                return -EBADMSG;
        }
        return 0;
}

/* Entries up to the end line, which is handed back in *ret_end. */
static int parse_entries(StateParse *p, char **ret_end) {
        char *line;
        int r;

        while ((line = next_line(p))) {
                Verdict *v = NULL;

                if (strncmp(line, "end ", 4) == 0) {
                        *ret_end = line;
                        return 0;
                }
                if (p->n >= STATE_ENTRIES_MAX) {
                        p->why = "too many entries";
                        return -EBADMSG;
                }
                r = parse_entry(line, p->version, p->rules, &v, &p->why);
                if (r < 0)
                        return r;
                Verdict **l = reallocarray(p->list, p->n + 1, sizeof(Verdict *));
                if (!l) {
                        verdict_free(v);
                        return -ENOMEM;
                }
                p->list = l;
                p->list[p->n++] = v;
        }
        p->why = p->why ?: "no end line: truncated";
        return -EBADMSG;
}

/* The end line counts the entries, and nothing follows it. */
static int parse_end(StateParse *p, const char *end) {
        uint64_t count;

        if (parse_u64(end + 4, &count) < 0 || count != p->n) {
                p->why = "the end line does not match the number of entries";
                return -EBADMSG;
        }
        if (next_line(p) || p->why) {
                p->why = p->why ?: "data after the end line";
                return -EBADMSG;
        }
        return 0;
}

int state_parse(const char *text, size_t size, const ReceiverRules *rules, Verdict ***ret, size_t *ret_n,
                char **ret_error) {
        _cleanup_free_ char *copy = NULL;
        StateParse p = { .rules = rules };
        char *end = NULL;
        int r;

        if (size > STATE_FILE_MAX)
                p.why = "larger than the limit";
        else if (memchr(text, 0, size))
                p.why = "contains a NUL byte";
        if (p.why) {
                r = -EBADMSG;
                goto fail;
        }
        copy = strdup_bytes(text, size);        /* text need not be NUL-terminated */
        if (!copy)
                return -ENOMEM;
        p.next = copy;

        r = parse_header(&p);
        if (r >= 0)
                r = parse_entries(&p, &end);
        if (r >= 0)
                r = parse_end(&p, end);
        if (r < 0)
                goto fail;
        *ret = p.list;
        *ret_n = p.n;
        return 0;

fail:
        verdicts_free(p.list, p.n);
        if (r == -ENOMEM)
                return r;
        if (ret_error) {
                int k = p.line_no > 0 ? asprintf(ret_error, "line %zu: %s", p.line_no, p.why)
                                      : asprintf(ret_error, "%s", p.why);
                if (k < 0)
                        *ret_error = NULL;
        }
        return -EBADMSG;
}

int state_save(const char *dir, Verdict * const *v, size_t n) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = state_format(v, n, &text, &size);
        if (r < 0)
                return r;
        return write_file_atomic(dir, STATE_FILE_NAME, text, size, 0600);
}

int state_load(const char *dir, const ReceiverRules *rules, Verdict ***ret, size_t *ret_n) {
        _cleanup_free_ char *path = NULL, *text = NULL, *error = NULL;
        struct stat st;
        ssize_t k;
        int fd, r;

        *ret = NULL;
        *ret_n = 0;
        if (asprintf(&path, "%s/%s", dir, STATE_FILE_NAME) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t) STATE_FILE_MAX) {
                close(fd);
                error = strdup("not a regular file of a sane size");
                goto aside;
        }
        text = malloc((size_t) st.st_size + 1);
        if (!text) {
                close(fd);
                return -ENOMEM;
        }
        k = read(fd, text, (size_t) st.st_size);
        close(fd);
        if (k >= 0)
                text[k] = 0;
        if (k != st.st_size) {
                error = strdup("short read");
                goto aside;
        }
        r = state_parse(text, (size_t) k, rules, ret, ret_n, &error);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                return 0;

aside: {
                _cleanup_free_ char *aside = NULL;
                if (asprintf(&aside, "%s/%s.corrupt-%" PRIu64, dir, STATE_FILE_NAME,
                             now(CLOCK_REALTIME) / USEC_PER_SEC) < 0)
                        return -ENOMEM;
                log_warning("State file %s is unreadable (%s); moved aside to %s, starting fresh",
                            path, error ? error : "corrupt", aside);
                if (rename(path, aside) < 0)
                        log_warning("Failed to move %s aside: %m, ignoring", path);
        }
        return 0;
}
