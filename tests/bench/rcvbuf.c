/* SPDX-License-Identifier: MIT */
/* LD_PRELOAD shim for the benchmark: every UDP socket a peer opens gets an
 * 8 MiB receive buffer (SO_RCVBUFFORCE, as root), so that adns is measured
 * without drops under a burst as well as with its default buffer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol) {
        static int (*real)(int, int, int);
        int fd, size = 8 * 1024 * 1024;

        if (!real)
                real = (int (*)(int, int, int)) dlsym(RTLD_NEXT, "socket");
        fd = real(domain, type, protocol);
        if (fd >= 0 && (type & 0xf) == SOCK_DGRAM)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
        return fd;
}
