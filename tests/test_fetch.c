/* Fetching weights (fidkit/fetch.h, `fidkit weights`) against a local HTTP
 * server on 127.0.0.1 (tests/ref/fetch_server.py, one per test, a free port,
 * a bounded lifetime): no internet. The served file and its SHA-256 come
 * from tests/ref/fetch.py (hashlib). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fidkit/fidkit.h"
#include "fk_test.h"

static char tmp[256], cache[512], logf[512], cfgdir[512];
static pid_t server = -1;
static int port;
static char sha[65], wrong_sha[65];
static long long size;

static void read_line(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s: %s", path, strerror(errno));
    cr_assert(fgets(out, (int)n, f), "%s is empty", path);
    fclose(f);
    out[strcspn(out, "\n")] = 0;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void start(void)
{
    snprintf(tmp, sizeof tmp, "%s", fk_test_tmpdir());
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    snprintf(cfgdir, sizeof cfgdir, "%s/configs", tmp);
    snprintf(logf, sizeof logf, "%s/server.log", tmp);
    cr_assert(!mkdir(cache, 0755) && !mkdir(cfgdir, 0755));
    char xdg[512], portfile[512], line[128];
    snprintf(xdg, sizeof xdg, "%s/xdg", tmp);
    snprintf(portfile, sizeof portfile, "%s/port", tmp);
    read_line(fk_test_fixture("payload.sha256"), sha, sizeof sha);
    read_line(fk_test_fixture("wrong.sha256"), wrong_sha, sizeof wrong_sha);
    read_line(fk_test_fixture("payload.size"), line, sizeof line);
    size = atoll(line);
    /* Everything the fetch reads from the environment, pinned. */
    setenv("FIDKIT_CONFIG_PATH", cfgdir, 1);
    setenv("FIDKIT_WEIGHTS_PATH", cache, 1);
    setenv("XDG_CACHE_HOME", xdg, 1);
    setenv("FIDKIT_FETCH_BACKOFF_MS", "20", 1);
    setenv("FIDKIT_FETCH_RETRIES", "2", 1);
    setenv("FIDKIT_FETCH_TIMEOUT", "20", 1);
    setenv("no_proxy", "*", 1);   /* a proxy in the environment must not see 127.0.0.1 */
    unsetenv("FIDKIT_OFFLINE");
    unsetenv("FIDKIT_AUTO_FETCH");
    unsetenv("FIDKIT_WEIGHTS_MIRROR");

    char script[1024];
    snprintf(script, sizeof script, "%s/tests/ref/fetch_server.py", getenv("FK_SOURCE_DIR"));
    const char *py = getenv("FK_PYTHON");
    server = fork();
    cr_assert(server >= 0);
    if (server == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(py, py, script, getenv("FK_FIXTURES"), portfile, logf, "120", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 3000 && access(portfile, R_OK); i++)   /* up to 60 s on a loaded machine */
        sleep_ms(20);
    read_line(portfile, line, sizeof line);
    port = atoi(line);
    cr_assert(port > 0, "server port '%s'", line);
}

static void stop(void)
{
    if (server > 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
    }
}

TestSuite(fetch, .init = start, .fini = stop, .timeout = 120);

/* A config t_NAME naming weights file FILE from SOURCE (%d: the port). */
static void config(const char *name, const char *file, const char *source, const char *hash)
{
    char p[1024], src[1024];
    snprintf(p, sizeof p, "%s/%s.yaml", cfgdir, name);
    snprintf(src, sizeof src, source, port);
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fprintf(f, "fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  file: %s\n"
               "  sha256: %s\n  source: %s\n"
               "input: {size: 8, resize: none, crop: none, scale: 1, mean: [0, 0, 0], std: [1, 1, 1]}\n"
               "output: pool\n", file, hash ? hash : sha, src);
    fclose(f);
}

static char *slurp(const char *path)
{
    char *d = NULL;
    size_t n;
    fk_error e;
    if (fk_read_file(path, 1 << 20, &d, &n, &e))
        return strdup("");
    return d;
}

static int count(const char *hay, const char *needle)
{
    int k = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        k++;
    return k;
}

static void expect_good(const char *path)
{
    char got[65];
    fk_error e;
    cr_assert_eq(fk_sha256_file(path, got, &e), FK_OK, "%s", e.msg);
    cr_assert_str_eq(got, sha, "%s", path);
    char part[1100];
    snprintf(part, sizeof part, "%s.part", path);
    cr_assert(access(part, F_OK), "%s left behind", part);
}

static int exists(const char *dir, const char *name)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return !access(p, F_OK);
}

static char out[65536];

Test(fetch, writes_and_verifies_then_does_nothing)
{
    config("t_ok", "w.bin", "http://127.0.0.1:%d/ok/payload.bin", NULL);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_ok");
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "downloading w.bin") && strstr(out, "SHA-256 verified"), "%s", out);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    expect_good(p);
    cr_assert(!exists(cache, "w.bin.lock"));
    rc = fk_test_run_cli(out, sizeof out, "weights fetch t_ok");
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "present"), "%s", out);
    char *log = slurp(logf);
    cr_assert_eq(count(log, "GET "), 1, "the second fetch went to the server:\n%s", log);
    free(log);
    /* ls finds it; verify agrees. */
    rc = fk_test_run_cli(out, sizeof out, "weights ls --json");
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, p) && strstr(out, sha), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "weights verify t_ok");
    cr_assert(rc == 0 && strstr(out, "ok "), "%s", out);
}

Test(fetch, a_cut_download_resumes_to_the_right_hash)
{
    config("t_drop", "w.bin", "http://127.0.0.1:%d/drop/payload.bin", NULL);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_drop");
    cr_assert_eq(rc, 0, "%s", out);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    expect_good(p);
    char *log = slurp(logf), want[128];
    /* The server sent half of the file, then the resume asked for the rest. */
    snprintf(want, sizeof want, "range=bytes=%lld-", size / 2);
    cr_assert_eq(count(log, "GET "), 2, "%s", log);
    cr_assert(strstr(log, "range=-") && strstr(log, want), "%s", log);
    free(log);
}

Test(fetch, a_partial_file_from_an_earlier_run_is_resumed)
{
    config("t_drop", "w.bin", "http://127.0.0.1:%d/drop/payload.bin", NULL);
    setenv("FIDKIT_FETCH_RETRIES", "0", 1);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_drop");
    cr_assert_neq(rc, 0, "%s", out);
    cr_assert(strstr(out, "w.bin") && strstr(out, "/drop/payload.bin"), "%s", out);
    char part[1100], p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    snprintf(part, sizeof part, "%s.part", p);
    struct stat sb;
    cr_assert(!stat(part, &sb) && sb.st_size > 0 && sb.st_size < size, "no partial file");
    cr_assert(access(p, F_OK), "a partial download was renamed into place");
    long long kept = (long long)sb.st_size;
    rc = fk_test_run_cli(out, sizeof out, "weights fetch t_drop");
    cr_assert_eq(rc, 0, "%s", out);
    expect_good(p);
    char *log = slurp(logf), want[64];
    snprintf(want, sizeof want, "range=bytes=%lld-", kept);
    cr_assert(strstr(log, want), "no resume from %lld:\n%s", kept, log);
    free(log);
}

Test(fetch, a_server_that_ignores_the_range_is_followed)
{
    config("t_full", "w.bin", "http://127.0.0.1:%d/dropfull/payload.bin", NULL);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_full");
    cr_assert_eq(rc, 0, "%s", out);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    expect_good(p);
}

Test(fetch, bad_bytes_after_a_resume_start_again_from_the_first_byte)
{
    config("t_dw", "w.bin", "http://127.0.0.1:%d/dropwrong/payload.bin", NULL);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_dw");
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "starting again from the first byte"), "%s", out);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    expect_good(p);
    char *log = slurp(logf);
    cr_assert_eq(count(log, "GET "), 3, "%s", log);
    cr_assert_eq(count(log, "range=-"), 2, "%s", log);
    free(log);
}

Test(fetch, wrong_bytes_leave_no_file_and_name_both_hashes)
{
    config("t_wrong", "w.bin", "http://127.0.0.1:%d/wrong/payload.bin", NULL);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_wrong");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, sha) && strstr(out, wrong_sha), "both hashes:\n%s", out);
    cr_assert(!exists(cache, "w.bin") && !exists(cache, "w.bin.part"), "a file was left");
}

Test(fetch, http_404_and_a_refused_connection_are_clear_errors)
{
    config("t_404", "w.bin", "http://127.0.0.1:%d/ok/no-such-file.bin", NULL);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_404");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "HTTP 404") && strstr(out, "/ok/no-such-file.bin"), "%s", out);
    cr_assert(!exists(cache, "w.bin") && !exists(cache, "w.bin.part"));

    /* A port nobody listens on: bound, read, closed. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    cr_assert(!bind(s, (struct sockaddr *)&a, sizeof a) && !getsockname(s, (struct sockaddr *)&a, &al));
    int closed = ntohs(a.sin_port);
    close(s);
    char src[128];
    snprintf(src, sizeof src, "http://127.0.0.1:%d/ok/payload.bin", closed);
    config("t_refused", "r.bin", src, NULL);
    rc = fk_test_run_cli(out, sizeof out, "weights fetch t_refused");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "r.bin") && strstr(out, src) && strstr(out, "onnect"), "%s", out);
    cr_assert(strstr(out, "3 tries"), "retries not reported:\n%s", out);
    cr_assert(!exists(cache, "r.bin") && !exists(cache, "r.bin.part"));
}

Test(fetch, two_concurrent_fetches_give_one_good_file)
{
    config("t_slow", "w.bin", "http://127.0.0.1:%d/slow/payload.bin", NULL);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' weights fetch t_slow 2>&1", getenv("FK_BIN"));
    FILE *p1 = popen(cmd, "r"), *p2 = popen(cmd, "r");
    cr_assert(p1 && p2);
    char o1[8192] = "", o2[8192] = "";
    o1[fread(o1, 1, sizeof o1 - 1, p1)] = 0;
    o2[fread(o2, 1, sizeof o2 - 1, p2)] = 0;
    int r1 = pclose(p1), r2 = pclose(p2);
    cr_assert(WIFEXITED(r1) && !WEXITSTATUS(r1), "%s", o1);
    cr_assert(WIFEXITED(r2) && !WEXITSTATUS(r2), "%s", o2);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    expect_good(p);
    char *log = slurp(logf);
    cr_assert_eq(count(log, "GET "), 1, "both downloaded:\n%s\n%s\n%s", log, o1, o2);
    free(log);
    /* The one that waited says so. */
    cr_assert(strstr(o1, "waiting for another") || strstr(o2, "waiting for another") ||
              strstr(o1, "present") || strstr(o2, "present"), "%s\n%s", o1, o2);
}

Test(fetch, offline_opens_no_socket)
{
    config("t_ok", "w.bin", "http://127.0.0.1:%d/ok/payload.bin", NULL);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_ok --offline");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "offline"), "%s", out);
    setenv("FIDKIT_OFFLINE", "1", 1);
    rc = fk_test_run_cli(out, sizeof out, "weights fetch t_ok");
    cr_assert_eq(rc, 1, "%s", out);

    /* The resolver every command uses: today's message, no download. */
    setenv("FIDKIT_AUTO_FETCH", "1", 1);
    char cp[1024], w[1024];
    fk_config c;
    fk_error e;
    snprintf(cp, sizeof cp, "%s/t_ok.yaml", cfgdir);
    cr_assert_eq(fk_config_load(cp, &c, &e), FK_OK, "%s", e.msg);
    cr_assert_eq(fk_config_weights_path(&c, w, sizeof w, &e), FK_ERR_IO);
    cr_assert(strstr(e.msg, "not found") && strstr(e.msg, "Offline") && strstr(e.msg, sha), "%s",
              e.msg);
    sleep_ms(200);   /* a connection the server would still log */
    char *log = slurp(logf);
    cr_assert_str_eq(log, "", "the server saw:\n%s", log);
    free(log);
    cr_assert(!exists(cache, "w.bin") && !exists(cache, "w.bin.part"));
}

Test(fetch, the_resolver_fetches_on_first_use_when_asked)
{
    config("t_ok", "w.bin", "http://127.0.0.1:%d/ok/payload.bin", NULL);
    char cp[1024], w[1024];
    fk_config c;
    fk_error e;
    snprintf(cp, sizeof cp, "%s/t_ok.yaml", cfgdir);
    cr_assert_eq(fk_config_load(cp, &c, &e), FK_OK, "%s", e.msg);
    /* Not asked (no terminal, no FIDKIT_AUTO_FETCH): the message says how. */
    cr_assert_eq(fk_config_weights_path(&c, w, sizeof w, &e), FK_ERR_IO);
    cr_assert(strstr(e.msg, "fidkit weights fetch t_ok"), "%s", e.msg);
    setenv("FIDKIT_AUTO_FETCH", "1", 1);
    cr_assert_eq(fk_config_weights_path(&c, w, sizeof w, &e), FK_OK, "%s", e.msg);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    cr_assert_str_eq(w, p);
    expect_good(p);
}

Test(fetch, a_side_file_is_fetched_as_the_weights_are)
{
    char p[1024], src[256];
    snprintf(p, sizeof p, "%s/t_side.yaml", cfgdir);
    snprintf(src, sizeof src, "http://127.0.0.1:%d/ok/payload.bin", port);
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fprintf(f, "fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  random: 1\n"
               "  side_files:\n    - file: merges.txt.gz\n      sha256: %s\n      source: %s\n"
               "      size: %lld\n"
               "input: {size: 8, resize: none, crop: none, scale: 1, mean: [0, 0, 0], std: [1, 1, 1]}\n"
               "output: pool\n", sha, src, size);
    fclose(f);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch merges.txt.gz");
    cr_assert_eq(rc, 0, "%s", out);
    snprintf(p, sizeof p, "%s/merges.txt.gz", cache);
    expect_good(p);
}

Test(fetch, more_bytes_than_the_config_says_are_refused)
{
    char p[1024], src[256];
    snprintf(p, sizeof p, "%s/t_big.yaml", cfgdir);
    snprintf(src, sizeof src, "http://127.0.0.1:%d/ok/payload.bin", port);
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fprintf(f, "fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  file: w.bin\n"
               "  sha256: %s\n  source: %s\n  size: 1000\n"
               "input: {size: 8, resize: none, crop: none, scale: 1, mean: [0, 0, 0], std: [1, 1, 1]}\n"
               "output: pool\n", sha, src);
    fclose(f);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_big");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "more than the 1000 bytes"), "%s", out);
    cr_assert(!exists(cache, "w.bin") && !exists(cache, "w.bin.part"));
}

Test(fetch, a_mirror_folder_replaces_the_host)
{
    /* The source's host is never contacted: the file comes from the folder. */
    config("t_ok", "w.bin", "http://127.0.0.1:%d/ok/payload.bin", NULL);
    setenv("FIDKIT_WEIGHTS_MIRROR", getenv("FK_FIXTURES"), 1);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_ok --offline");
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "mirror"), "%s", out);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    expect_good(p);
    char *log = slurp(logf);
    cr_assert_str_eq(log, "", "the server saw:\n%s", log);
    free(log);
    /* A folder without the file: a clear error naming where it looked. */
    config("t_nomirror", "n.bin", "http://127.0.0.1:%d/ok/nothere.bin", NULL);
    rc = fk_test_run_cli(out, sizeof out, "weights fetch t_nomirror");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "not in the mirror") && strstr(out, "nothere.bin"), "%s", out);
}

Test(fetch, all_from_a_mirror_folder_offline)
{
    /* --all covers the source tree's configs too: offline with a local
     * mirror, the test's file is copied and the others are reported missing
     * from the mirror, without any connection. */
    config("t_ok", "w.bin", "http://127.0.0.1:%d/ok/payload.bin", NULL);
    setenv("FIDKIT_WEIGHTS_MIRROR", getenv("FK_FIXTURES"), 1);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch --all --offline");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "w.bin: fetched"), "%s", out);
    cr_assert(strstr(out, "pt_inception-2015-12-05-6726825d.pth: not in the mirror"), "%s", out);
    cr_assert(strstr(out, "skipping inception_v3_google-0cc3c7bd.pth"), "%s", out);
    cr_assert_eq(count(out, "bpe_simple_vocab_16e6.txt.gz: not in the mirror"), 1,
                 "a file several configs name is fetched once:\n%s", out);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    expect_good(p);
    char *log = slurp(logf);
    cr_assert_str_eq(log, "", "the server saw:\n%s", log);
    free(log);
}

Test(fetch, a_mirror_url_replaces_the_host)
{
    /* weights.invalid never resolves: the mirror's /ok/some/dir/payload.bin
     * is a 404, its /ok/payload.bin (the bare name) the file. */
    config("t_m", "w.bin", "https://weights.invalid/some/dir/payload.bin", NULL);
    char m[128];
    snprintf(m, sizeof m, "http://127.0.0.1:%d/ok/", port);
    setenv("FIDKIT_WEIGHTS_MIRROR", m, 1);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_m");
    cr_assert_eq(rc, 0, "%s", out);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    expect_good(p);
    char *log = slurp(logf);
    cr_assert(strstr(log, "GET /ok/some/dir/payload.bin") && strstr(log, "GET /ok/payload.bin"),
              "%s", log);
    free(log);
}

Test(fetch, redirects_are_followed_and_verify_finds_damage)
{
    config("t_r", "w.bin", "http://127.0.0.1:%d/redirect/payload.bin", NULL);
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch t_r");
    cr_assert_eq(rc, 0, "%s", out);
    char p[1024];
    snprintf(p, sizeof p, "%s/w.bin", cache);
    expect_good(p);
    FILE *f = fopen(p, "r+b");
    cr_assert(f);
    fputc('!', f);
    fclose(f);
    rc = fk_test_run_cli(out, sizeof out, "weights verify");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "MISMATCH") && strstr(out, sha), "%s", out);
    /* fetch does not overwrite a file it did not write. */
    rc = fk_test_run_cli(out, sizeof out, "weights fetch t_r");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "left alone"), "%s", out);
}

Test(fetch, unknown_names_and_unverifiable_files)
{
    int rc = fk_test_run_cli(out, sizeof out, "weights fetch no_such_thing");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "no_such_thing"), "%s", out);
    rc = fk_test_run_cli(out, sizeof out, "weights fetch");
    cr_assert_eq(rc, 2, "%s", out);
    char p[1024];
    snprintf(p, sizeof p, "%s/t_nosha.yaml", cfgdir);
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fprintf(f, "fidkit_config: 1\nplugin: tiny_pool\nvariant: g4\nweights:\n  file: u.bin\n"
               "  source: http://127.0.0.1:%d/ok/payload.bin\n"
               "input: {size: 8, resize: none, crop: none, scale: 1, mean: [0, 0, 0], std: [1, 1, 1]}\n"
               "output: pool\n", port);
    fclose(f);
    rc = fk_test_run_cli(out, sizeof out, "weights fetch t_nosha");
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "no sha256"), "%s", out);
    char *log = slurp(logf);
    cr_assert_str_eq(log, "", "%s", log);
    free(log);
}
