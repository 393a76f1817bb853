/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "macro.h"

static int fsync_directory(const char *dir) {
        int fd, r = 0;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

int export_textfile(const char *path, const MetricsInput *in) {
        _cleanup_free_ char *dir = NULL, *tmp = NULL;
        const char *slash = strrchr(path, '/');         /* the path is absolute */
        FILE *f;
        int fd, r = 0;

        if (!slash)
                return -EINVAL;
        dir = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        if (!dir || asprintf(&tmp, "%s/.%s.tmp", dir, slash + 1) < 0)
                return -ENOMEM;
        /* never through whatever is there: a symlink, a FIFO, a leftover */
        if (unlink(tmp) < 0 && errno != ENOENT)
                return -errno;
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        metrics_write(f, in);
        if (fflush(f) != 0 || ferror(f) || fsync(fd) < 0)
                r = errno > 0 ? -errno : -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        return fsync_directory(dir);
}
