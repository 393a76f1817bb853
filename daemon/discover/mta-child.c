/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "mta-child.h"
#include "mta.h"
#include "strv.h"

#define MTA_RESULT_MAX (16 * 1024 * 1024)

struct MtaChild {
        pid_t pid;
        int fd;
        sd_event_source *io, *timer;
        char *buf;
        size_t size;
        mta_child_callback_t callback;
        void *userdata;
};

/* Tabs, newlines and backslashes escaped; everything else as it is. */
static void put_field(FILE *f, const char *s) {
        fputc('\t', f);
        for (; s && *s; s++)
                if (*s == '\\')
                        fputs("\\\\", f);
                else if (*s == '\t')
                        fputs("\\t", f);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
}

int mta_result_format(const DiscoveryResult *r, bool failed, char **ret, size_t *ret_size) {
        FILE *f = open_memstream(ret, ret_size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < r->found.n; i++) {
                char a[ADDRESS_STRING_MAX];
                fputs("id", f);
                put_field(f, address_to_string(&r->found.items[i].address, a));
                put_field(f, r->found.items[i].helo);
                put_field(f, r->found.items[i].source);
                fputc('\n', f);
        }
        for (char **n = r->notes; n && *n; n++) {
                fputs("note", f);
                put_field(f, *n);
                fputc('\n', f);
        }
        fputs(failed ? "failed\nend\n" : "end\n", f);
        return fclose(f) == 0 ? 0 : -ENOMEM;
}

/* Splits line at tabs in place and unescapes: up to max fields. */
static size_t split_fields(char *line, char **field, size_t max) {
        size_t n = 0;
        char *w = line;

        field[n++] = line;
        for (char *p = line; *p; p++) {
                if (*p == '\t') {
                        *w++ = 0;
                        if (n == max)
                                return max + 1;
                        field[n++] = w;
                } else if (*p == '\\' && p[1]) {
                        p++;
                        *w++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
                } else
                        *w++ = *p;
        }
        *w = 0;
        return n;
}

/* A HELO name or source from the child: printable ASCII, one line. */
static bool field_is_sane(const char *s) {
        if (strlen(s) > 300)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

static int parse_line(char *line, DiscoveryResult *r, bool *failed) {
        char *field[5];
        size_t n = split_fields(line, field, 4);
        Address a;

        if (streq(field[0], "id") && n == 4) {
                if (address_parse(field[1], &a, NULL) < 0 || !field_is_sane(field[2]) || !field_is_sane(field[3]) ||
                    !*field[3])
                        return -EBADMSG;
                return identity_list_add(&r->found, &a, *field[2] ? field[2] : NULL, field[3]);
        }
        if (streq(field[0], "note") && n == 2)
                return utf8_is_valid(field[1]) ? discovery_result_note(r, field[1]) : -EBADMSG;
        if (streq(field[0], "failed") && n == 1) {
                *failed = true;
                return 0;
        }
        return -EBADMSG;
}

int mta_result_parse(const char *text, DiscoveryResult *ret, bool *ret_failed) {
        _cleanup_free_ char *copy = strdup(text);
        DiscoveryResult r = {};
        bool failed = false, end = false;
        int k = 0;

        if (!copy)
                return -ENOMEM;
        for (char *line = copy, *nl; line && *line && k >= 0; line = nl) {
                nl = strchr(line, '\n');
                if (!nl || end) {
                        k = -EBADMSG;   /* cut short, or something after the end */
                        break;
                }
                *nl++ = 0;
                if (streq(line, "end"))
                        end = true;
                else
                        k = parse_line(line, &r, &failed);
        }
        if (k >= 0 && !end)
                k = -EBADMSG;
        if (k < 0) {
                discovery_result_done(&r);
                return k;
        }
        *ret = r;
        *ret_failed = failed;
        return 0;
}

static _Noreturn void child_run(const Config *c, int fd) {
        DiscoveryResult r = {};
        bool failed = false;
        char *text = NULL;
        size_t size = 0;

        if (mta_discover(c, &r, &failed) < 0 || mta_result_format(&r, failed, &text, &size) < 0)
                _exit(EXIT_FAILURE);
        for (size_t done = 0; done < size;) {
                ssize_t k = write(fd, text + done, size - done);
                if (k < 0 && errno != EINTR)
                        _exit(EXIT_FAILURE);
                done += k > 0 ? (size_t) k : 0;
        }
        _exit(EXIT_SUCCESS);
}

static void child_finish(MtaChild *k, const char *why) {
        DiscoveryResult r = {};
        bool failed = true;
        int status = 0;

        k->io = sd_event_source_disable_unref(k->io);
        k->timer = sd_event_source_disable_unref(k->timer);
        if (why)
                (void) kill(k->pid, SIGKILL);
        while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
                ;
        k->pid = 0;
        if (!why && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                why = "it failed";
        if (!why && (!k->buf || mta_result_parse(k->buf, &r, &failed) < 0))
                why = "it answered garbage";
        if (why) {
                discovery_result_done(&r);
                failed = true;
                char *note = NULL;
                if (strextendf(&note, "the discovery of the MTA's identities did not finish: %s", why) >= 0)
                        (void) discovery_result_note(&r, note);
                free(note);
        }
        k->callback(&r, failed, k->userdata);
        discovery_result_done(&r);
}

static int on_mta_child_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        MtaChild *k = userdata;
        char chunk[65536];
        ssize_t n = read(fd, chunk, sizeof chunk);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                child_finish(k, n < 0 ? "reading its answer failed" : NULL);
                return 0;
        }
        if (k->size + (size_t) n > MTA_RESULT_MAX) {
                child_finish(k, "its answer is too long");
                return 0;
        }
        char *b = realloc(k->buf, k->size + (size_t) n + 1);
        if (!b) {
                child_finish(k, "out of memory");
                return 0;
        }
        memcpy(b + k->size, chunk, (size_t) n);
        k->size += (size_t) n;
        b[k->size] = 0;
        k->buf = b;
        return 0;
}

static int on_mta_child_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        child_finish(userdata, "it took longer than " STRINGIFY(MTA_CHILD_TIMEOUT_TEXT));
        return 0;
}

int mta_child_start(sd_event *event, const Config *c, mta_child_callback_t callback, void *userdata, MtaChild **ret) {
        _cleanup_(mta_child_freep) MtaChild *k = NULL;
        int p[2], r;

        k = calloc(1, sizeof(MtaChild));
        if (!k)
                return -ENOMEM;
        *k = (MtaChild) { .fd = -1, .callback = callback, .userdata = userdata };
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        k->fd = p[0];
        fflush(NULL);
        k->pid = fork();
        if (k->pid < 0) {
                r = -errno;
                safe_close(p[1]);
                return r;
        }
        if (k->pid == 0) {
                (void) fcntl(p[1], F_SETFL, 0);
                child_run(c, p[1]);
        }
        safe_close(p[1]);
        r = sd_event_add_io(event, &k->io, k->fd, EPOLLIN, on_mta_child_readable, k);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &k->timer, CLOCK_MONOTONIC, MTA_CHILD_TIMEOUT, 0,
                                               on_mta_child_timeout, k);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(k->io, "mta-child");
        (void) sd_event_source_set_description(k->timer, "mta-child-timeout");
        *ret = TAKE_PTR(k);
        return 0;
}

MtaChild *mta_child_free(MtaChild *k) {
        if (!k)
                return NULL;
        sd_event_source_disable_unref(k->io);
        sd_event_source_disable_unref(k->timer);
        if (k->pid > 0) {
                (void) kill(k->pid, SIGKILL);
                while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        safe_close(k->fd);
        free(k->buf);
        free(k);
        return NULL;
}
