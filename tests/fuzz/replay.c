/* SPDX-License-Identifier: MIT */
/* Replays a corpus through a fuzz target without libFuzzer, so that every
 * build (and the ASan+UBSan one) runs the seeds and the crashers found. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path) {
        FILE *f = fopen(path, "re");
        uint8_t *buf;
        long n;

        if (!f) {
                perror(path);
                return -1;
        }
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = malloc(n > 0 ? (size_t) n : 1);
        if (!buf || fread(buf, 1, (size_t) n, f) != (size_t) n) {
                fprintf(stderr, "%s: read failed\n", path);
                fclose(f);
                free(buf);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t) n);
        free(buf);
        return 1;
}

static int replay(const char *path) {
        struct stat st;
        struct dirent **names;
        int n, count = 0;

        if (stat(path, &st) < 0) {
                perror(path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return replay_file(path);
        n = scandir(path, &names, NULL, alphasort);
        if (n < 0) {
                perror(path);
                return -1;
        }
        for (int i = 0; i < n; i++) {
                size_t len = strlen(names[i]->d_name);
                /* inputs only: not hidden files, not the reports written beside them */
                if (names[i]->d_name[0] != '.' &&
                    !(len > 3 && strcmp(names[i]->d_name + len - 3, ".md") == 0)) {
                        char *p;
                        if (asprintf(&p, "%s/%s", path, names[i]->d_name) < 0)
                                return -1;
                        int k = replay(p);
                        free(p);
                        if (k < 0)
                                return -1;
                        count += k;
                }
                free(names[i]);
        }
        free(names);
        return count;
}

int main(int argc, char *argv[]) {
        int total = 0;

        for (int i = 1; i < argc; i++) {
                int k = replay(argv[i]);
                if (k < 0)
                        return EXIT_FAILURE;
                total += k;
        }
        printf("replayed %d inputs\n", total);
        return total > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
