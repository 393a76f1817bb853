/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "config-parse.h"
#include "hostname.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

#define LINE_MAX_LENGTH 65536      /* a few thousand addresses; list keys may also repeat */
#define CONFIG_FILE_SIZE_MAX (4 * 1024 * 1024)    /* 100,000 addresses and then some */
#define CONFIG_FILE_SIZE_MAX_TEXT "4 MiB"

static char *strip(char *s) {
        char *e;

        s += strspn(s, " \t\r");
        e = s + strlen(s);
        while (e > s && strchr(" \t\r", e[-1]))
                e--;
        *e = 0;
        return s;
}

static int parse_line(ParseState *s, char *line) {
        char *l = strip(line), *eq, *key, *value, *hash;

        if (*l == 0 || *l == '#' || *l == ';')
                return 0;

        /* The contract's example puts comments after values; no value we
         * accept contains '#', so whitespace then '#' starts a comment. */
        for (hash = l; (hash = strchr(hash, '#')); hash++)
                if (hash > l && (hash[-1] == ' ' || hash[-1] == '\t')) {
                        *hash = 0;
                        l = strip(l);
                        break;
                }

        if (*l == '[') {
                size_t n = strlen(l);
                if (n < 3 || l[n - 1] != ']')
                        return config_fail(s, "malformed section header '%s'", QUOTE(l));
                l[n - 1] = 0;
                if (strlen(l + 1) >= sizeof s->section || strpbrk(l + 1, "[] \t"))
                        return config_fail(s, "malformed section header '[%s]'", QUOTE(l + 1));
                strcpy(s->section, l + 1);
                s->section_known = config_section_is_known(s->section);
                if (!s->section_known)
                        log_warning("%s:%u: unknown section [%s], ignoring its keys", s->file, s->line, s->section);
                return 0;
        }

        eq = strchr(l, '=');
        if (!eq)
                return config_fail(s, "expected KEY=VALUE or [Section], got '%s'", QUOTE(l));
        *eq = 0;
        key = strip(l);
        value = strip(eq + 1);
        if (*key == 0)
                return config_fail(s, "missing key before '='");
        if (s->section[0] == 0)
                return config_fail(s, "assignment '%s=' outside of a section", QUOTE(key));
        if (!s->section_known)
                return 0;

        const ConfigKey *k = config_key_find(s->section, key);
        if (k)
                return k->parse(s, key, value, (uint8_t *) s->config + k->offset);

        log_warning("%s:%u: unknown key '%s' in section [%s], ignoring", s->file, s->line, QUOTE(key), s->section);
        return 0;
}

static int parse_text(ParseState *s, const char *name, const char *text, size_t size) {
        const char *p = text, *end = text + size;
        int r;

        s->file = name;
        s->line = 0;
        s->section[0] = 0;
        s->section_known = false;
        if (memchr(text, 0, size)) {
                s->line = 1;
                return config_fail(s, "the file contains a NUL byte: not a text configuration file");
        }
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                _cleanup_free_ char *line = NULL;

                s->line++;
                if (n >= LINE_MAX_LENGTH)
                        return config_fail(s, "line longer than %d characters", LINE_MAX_LENGTH);
                line = strndup(p, n);
                if (!line)
                        return -ENOMEM;
                r = parse_line(s, line);
                if (r < 0)
                        return r;
                p += n + (nl ? 1 : 0);
        }
        return 0;
}

static int validate(ParseState *s) {
        Config *c = s->config;

        addresses_sort_unique(c->route_probes, &c->n_route_probes);

        if (c->min_ttl > c->max_ttl) {
                /* The assignment read last made them clash. */
                const char *where = s->min_ttl_at.seq > s->max_ttl_at.seq ? s->min_ttl_at.where
                                                                          : s->max_ttl_at.where;
                free(s->error);
                if (asprintf(&s->error, "%s: MinTTL= must not be larger than MaxTTL=",
                             *where ? where : s->file) < 0)
                        s->error = NULL;
                return -EINVAL;
        }
        return 0;
}

static int finish(ParseState *s, int r, char **ret_error) {
        if (r >= 0)
                r = validate(s);
        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(s->error);
        free(s->error);
        return r;
}

int config_parse_string(Config *c, const char *name, const char *text, char **ret_error) {
        ParseState s = { .config = c };

        return finish(&s, parse_text(&s, name, text, strlen(text)), ret_error);
}

/* The whole of a regular file. Opened non-blocking and checked with fstat()
 * before anything is read: a FIFO or a device in the place of a
 * configuration file must not hang a start, a reload or --check-config. */
static int read_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t done = 0;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (S_ISDIR(st.st_mode))
                r = -EISDIR;
        else if (!S_ISREG(st.st_mode))
                r = -EBADFD;
        else if (st.st_size > CONFIG_FILE_SIZE_MAX)
                r = -EFBIG;
        else if (!(buf = malloc((size_t) st.st_size + 1)))
                r = -ENOMEM;
        while (r == 0 && done < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + done, (size_t) st.st_size - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        r = k < 0 ? -errno : -EIO;      /* shrank while we read */
                else
                        done += (size_t) k;
        }
        close(fd);
        if (r < 0)
                return r;
        buf[done] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = done;
        return 0;
}

static const char *read_error(int r) {
        switch (r) {
        case -EFBIG:  return "larger than " CONFIG_FILE_SIZE_MAX_TEXT ": not a configuration file";
        case -EBADFD: return "not a regular file (a FIFO, socket or device?)";
        case -EISDIR: return "a directory, not a file";
        default:      return strerror(-r);
        }
}

static int load_one(ParseState *s, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r;

        r = read_file(path, &text, &size);
        if (r < 0) {
                free(s->error);
                if (asprintf(&s->error, "%s: %s", path, read_error(r)) < 0)
                        s->error = NULL;
                return r;
        }
        return parse_text(s, path, text, size);
}

static int load_dropins(ParseState *s, const char *path) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **files = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (asprintf(&dir, "%s.d", path) < 0)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : (log_warning("Failed to open %s: %m, ignoring", dir), 0);
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (de->d_name[0] == '.' || n < 6 || !streq(de->d_name + n - 5, ".conf"))
                        continue;
                char *f;
                if (asprintf(&f, "%s/%s", dir, de->d_name) < 0 || strv_push(&files, f) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        closedir(d);
        if (r < 0)
                return r;
        strv_sort(files);
        for (char **f = files; f && *f; f++) {
                struct stat st;
                /* A directory or a dangling symlink among the drop-ins is
                 * somebody's mistake, not a configuration: skip it. A FIFO or
                 * device still fails (read_file), as would a bad file. */
                if (stat(*f, &st) < 0) {
                        log_warning("%s: %s, skipping this drop-in", *f,
                                    errno == ENOENT ? "a dangling symlink" : strerror(errno));
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        log_warning("%s: a directory, skipping this drop-in", *f);
                        continue;
                }
                r = load_one(s, *f);
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_load(Config *c, const char *path, bool must_exist, char **ret_error) {
        ParseState s = { .config = c, .file = path };
        int r;

        r = load_one(&s, path);
        if (r == -ENOENT && !must_exist) {
                free(s.error);
                s.error = NULL;
                r = 0;
        }
        if (r >= 0)
                r = load_dropins(&s, path);
        return finish(&s, r, ret_error);
}

int config_init(Config *c) {
        static const char * const default_probes[] = {
                /* a.root-servers.net: any global address will do, nothing is sent */
                "198.41.0.4", "2001:503:ba3e::2:30",
        };

        *c = (Config) {
                .discover = DISCOVER_ROUTE,
                .timeout = 5 * USEC_PER_SEC,
                .max_in_flight = 256,
                .min_ttl = 30 * USEC_PER_SEC,
                .max_ttl = USEC_PER_DAY,
                .serve_stale = USEC_PER_DAY,
                .confirm_delay = 30 * USEC_PER_SEC,
                .route_probes_default = true,
                .whoami_default = true,
        };
        c->route_probes = calloc(ELEMENTSOF(default_probes), sizeof(Address));
        c->whoami = calloc(2, sizeof(WhoamiSource));
        c->postfix_config = strdup(POSTFIX_CONFIG_DEFAULT);
        if (!c->route_probes || !c->whoami || !c->postfix_config) {
                config_done(c);
                return -ENOMEM;
        }
        for (size_t i = 0; i < ELEMENTSOF(default_probes); i++)
                (void) address_parse(default_probes[i], &c->route_probes[c->n_route_probes++], NULL);
        /* Two providers by default, so that a disagreement can be noticed. */
        for (size_t i = 0; i < 2; i++)
                if (whoami_source_from_preset(i == 0 ? "opendns" : "google", &c->whoami[c->n_whoami++]) < 0) {
                        c->n_whoami--;
                        config_done(c);
                        return -ENOMEM;
                }
        return 0;
}

void config_done(Config *c) {
        identity_list_done(&c->addresses);
        free(c->postfix_config);
        free(c->spamassassin_rules);
        free(c->rspamd_hfilter);
        free(c->exim_config);
        free(c->helo_name);
        free(c->prometheus_textfile);
        free(c->route_probes);
        config_whoami_clear(c);
        free(c->servers);
        *c = (Config) {};
}
