/* SPDX-License-Identifier: MIT */
/* maxrss COMMAND...: run COMMAND, then print its peak RSS in KiB on stderr
 * as "maxrss: N" and exit with its status. Measuring from a small process
 * matters: a child forked from a big one (Python) inherits that parent's
 * high-water mark at exec, and ru_maxrss would report it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        struct rusage ru;
        int status;
        pid_t pid;

        if (argc < 2) {
                fprintf(stderr, "Usage: maxrss COMMAND [ARG...]\n");
                return 64;
        }
        pid = fork();
        if (pid < 0) {
                perror("fork");
                return 70;
        }
        if (pid == 0) {
                execvp(argv[1], argv + 1);
                perror(argv[1]);
                _exit(127);
        }
        if (wait4(pid, &status, 0, &ru) < 0) {
                perror("wait4");
                return 70;
        }
        fprintf(stderr, "maxrss: %ld\n", ru.ru_maxrss);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}
