/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic-file.h"
#include "export.h"
#include "macro.h"

int export_textfile(const char *path, const MetricsInput *in) {
        _cleanup_free_ char *dir = NULL, *text = NULL;
        const char *slash = strrchr(path, '/');         /* the path is absolute */
        size_t size = 0;
        FILE *f;

        if (!slash)
                return -EINVAL;
        dir = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        if (!dir)
                return -ENOMEM;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        metrics_write(f, in);
        if (fclose(f) != 0)
                return -ENOMEM;
        /* readable by node_exporter, which runs as another user */
        return write_file_atomic(dir, slash + 1, text, size, 0644);
}

const char *export_hint(int r) {
        switch (r) {
        case -ENOENT:
                return ": the directory does not exist (for node_exporter's, install prometheus-node-exporter)";
        case -EACCES:
        case -EPERM:
        case -EROFS:
                return ": ptrwatchd may not write there (in /var/lib/prometheus/node-exporter, "
                       "\"dpkg-reconfigure ptrwatch\" gives it the right; elsewhere: setfacl -m u:ptrwatchd:rwx "
                       "on the directory and ReadWritePaths= in a drop-in, see ptrwatchd.conf(5))";
        default:
                return "";
        }
}

int export_record(const char *state_dir, const char *path) {
        _cleanup_free_ char *line = NULL;
        int n;

        n = asprintf(&line, "%s\n", path);
        if (n < 0)
                return -ENOMEM;
        return write_file_atomic(state_dir, EXPORT_RECORD_NAME, line, (size_t) n, 0600);
}
