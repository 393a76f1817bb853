/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "macro.h"
#include "strv.h"

/* The child side: never returns. Only async-signal-safe calls. */
static _Noreturn void exec_child(char * const *argv, int out, int err, int report) {
        sigset_t all;
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        (void) signal(SIGPIPE, SIG_DFL);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
            dup2(err, STDERR_FILENO) < 0)
                goto fail;
        (void) setenv("LC_ALL", "C", 1);
        execvp(argv[0], argv);
fail:
        {
                int e = errno;
                (void) !write(report, &e, sizeof e);
        }
        _exit(127);
}

/* Reads what is there into *buf (at most max), -1 at EOF. */
static int read_some(int fd, char **buf, size_t *n, size_t max, bool *truncated) {
        char chunk[16384];
        ssize_t k = read(fd, chunk, sizeof chunk);

        if (k < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -errno;
        if (k == 0)
                return -1;
        if (*n + (size_t) k > max) {
                *truncated = true;
                k = (ssize_t) (max - *n);
        }
        char *b = realloc(*buf, *n + (size_t) k + 1);
        if (!b)
                return -ENOMEM;
        memcpy(b + *n, chunk, (size_t) k);
        *n += (size_t) k;
        b[*n] = 0;
        *buf = b;
        return 0;
}

/* Reads both pipes until both end or the deadline passes. */
static int collect(int out, int err, usec_t deadline, CommandResult *res) {
        struct pollfd p[2] = { { .fd = out, .events = POLLIN }, { .fd = err, .events = POLLIN } };
        size_t n_out = 0, n_err = 0;
        bool err_truncated = false;
        int k;

        while (p[0].fd >= 0 || p[1].fd >= 0) {
                usec_t t = now(CLOCK_MONOTONIC);
                if (t >= deadline) {
                        res->timed_out = true;
                        return 0;
                }
                k = poll(p, 2, (int) MIN((deadline - t + USEC_PER_MSEC - 1) / USEC_PER_MSEC, (usec_t) INT32_MAX));
                if (k < 0 && errno != EINTR)
                        return -errno;
                for (int i = 0; k > 0 && i < 2; i++) {
                        if (p[i].fd < 0 || !p[i].revents)
                                continue;
                        k = i == 0 ? read_some(out, &res->out, &n_out, COMMAND_OUTPUT_MAX, &res->truncated)
                                   : read_some(err, &res->err, &n_err, 4096, &err_truncated);
                        if (k == -1)
                                p[i].fd = -1;
                        else if (k < 0)
                                return k;
                        k = 1;
                }
        }
        return 0;
}

int command_run(char * const *argv, usec_t timeout, CommandResult *ret) {
        int out[2] = { -1, -1 }, err[2] = { -1, -1 }, report[2] = { -1, -1 }, e = 0, status = 0, r;
        CommandResult res = { .status = -1 };
        pid_t pid;

        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0) {
                r = -errno;
                goto finish;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto finish;
        }
        if (pid == 0)
                exec_child(argv, out[1], err[1], report[1]);
        out[1] = safe_close(out[1]);
        err[1] = safe_close(err[1]);
        report[1] = safe_close(report[1]);

        r = collect(out[0], err[0], now(CLOCK_MONOTONIC) + timeout, &res);
        if (r < 0 || res.timed_out)
                (void) kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = r < 0 ? r : -errno;
                        break;
                }
        if (read(report[0], &e, sizeof e) == (ssize_t) sizeof e) {
                r = -e;         /* exec failed: ENOENT when there is no such program */
                goto finish;
        }
        if (r >= 0 && !res.timed_out && WIFEXITED(status))
                res.status = WEXITSTATUS(status);
        if (res.err)
                res.err[strcspn(res.err, "\n")] = 0;
        if (!res.out && r >= 0 && !(res.out = strdup("")))
                r = -ENOMEM;
finish:
        safe_close(out[0]);
        safe_close(out[1]);
        safe_close(err[0]);
        safe_close(err[1]);
        safe_close(report[0]);
        safe_close(report[1]);
        if (r < 0) {
                command_result_done(&res);
                return r;
        }
        *ret = res;
        return 0;
}

void command_result_done(CommandResult *r) {
        free(r->out);
        free(r->err);
        *r = (CommandResult) { .status = -1 };
}

char *command_line(char * const *argv) {
        return strv_join(argv, " ");
}
