/* fidkit fid A B: FID where each side is a dataset or a stats file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fidkit/fidkit.h"

static const char usage_text[] =
    "usage: fidkit fid A B [options]\n"
    "\n"
    "The Fréchet distance between two image sets in a backbone's feature space\n"
    "(FID with the default FID-Inception backbone). Each of A and B is a dataset\n"
    "(folder, .zip, .npz/.npy of uint8 samples, .txt list), a stats file\n"
    "(.npz with mu and sigma) or a features file (`fidkit extract`). A stats file must carry the tag of the backbone\n"
    "used for the other side; untagged files (pytorch-fid, clean-fid) need\n"
    "--assume-backbone. Exit status 3: refused, different backbones.\n"
    "\n"
    "options:\n"
    "  --assume-backbone TAG   the tag of untagged stats files\n"
    FK_CLI_EXTRACT_HELP;

int fk_cmd_fid(int argc, char **argv)
{
    fk_cli_extract o;
    fk_cli_extract_init(&o);
    const char *side[2] = {0}, *assumed = NULL;
    int nside = 0;
    for (int i = 1; i < argc; i++) {
        int r = fk_cli_extract_option("fid", argc, argv, &i, &o);
        if (r < 0)
            return FK_EXIT_USAGE;
        if (r)
            continue;
        if (fk_cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return FK_EXIT_OK;
        } else if (!strcmp(argv[i], "--assume-backbone")) {
            if (++i == argc)
                return fk_cli_usage_error("fid", "--assume-backbone needs a tag");
            assumed = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return fk_cli_usage_error("fid", "unknown option '%s'", argv[i]);
        } else if (nside < 2) {
            side[nside++] = argv[i];
        } else {
            return fk_cli_usage_error("fid", "too many arguments: '%s'", argv[i]);
        }
    }
    if (nside != 2)
        return fk_cli_usage_error("fid", "two datasets or stats files are needed");

    fk_error e = {0};
    fk_stats s[2] = {{0}};
    fk_backbone *b = NULL;
    fk_tag assumed_tag;
    fk_status st = FK_OK;
    if (assumed && (st = fk_tag_parse(assumed, &assumed_tag, &e)))
        fk_fail_prefix(&e, "--assume-backbone");
    for (int k = 0; k < 2 && !st; k++) {
        if (fk_cli_is_stats_file(side[k])) {
            if ((st = fk_stats_read(side[k], &s[k], &e)))
                break;
            if (!s[k].has_tag && assumed) {
                s[k].tag = assumed_tag;
                s[k].has_tag = 1;
            }
            if (!s[k].has_tag)
                st = fk_fail(&e, FK_ERR_TAG,
                             "%s carries no backbone tag (written by pytorch-fid or clean-fid?): "
                             "declare the backbone that measured it with --assume-backbone TAG",
                             side[k]);
        } else if (fk_featfile_is(side[k])) {
            /* Kept feature rows (`fidkit extract`): their moments. */
            float *rows;
            int64_t n;
            int d, has_tag;
            fk_tag t;
            if ((st = fk_featfile_read(side[k], NULL, &rows, &n, &d, &t, &has_tag, &e)))
                break;
            fk_feature_set set = {.tag = t, .d = d, .n = n};
            if (!has_tag && assumed) {
                set.tag = assumed_tag;
                has_tag = 1;
            }
            if (!has_tag)
                st = fk_fail(&e, FK_ERR_TAG, "%s carries no backbone tag (clean-fid features?): "
                             "declare it with --assume-backbone TAG", side[k]);
            if (!st && !(st = fk_moments_init(&set.moments, d, &e)) &&
                !(st = fk_moments_add(&set.moments, rows, n, &e)))
                st = fk_feature_set_stats(&set, &s[k], &e);
            fk_moments_free(&set.moments);
            free(rows);
        } else {
            fk_feature_set set;
            if (!b && (st = fk_cli_open_backbone(&o, NULL, 0, &b, &e)))
                break;
            if ((st = fk_cli_extract_run(&o, b, side[k], &set, &e)))
                break;
            st = fk_feature_set_stats(&set, &s[k], &e);
            fk_feature_set_free(&set);
        }
    }
    if (!st)
        st = fk_tag_check(&s[0].tag, &s[1].tag, &e);
    if (!st && s[0].d != s[1].d)
        st = fk_fail(&e, FK_ERR_FORMAT, "%s has dimension %d but %s has %d", side[0], s[0].d,
                     side[1], s[1].d);
    fk_fd_result r;
    if (!st)
        st = fk_frechet(s[0].d, s[0].mu, s[0].sigma, s[1].mu, s[1].sigma, NULL, &r, &e);
    if (!st) {
        fk_tag t = strlen(s[1].tag.weights) > strlen(s[0].tag.weights) ? s[1].tag : s[0].tag;
        fk_cli_print_fd("fid", &r, &t, s[0].d, s[0].n, s[1].n, o.json);
    }
    fk_stats_free(&s[0]);
    fk_stats_free(&s[1]);
    fk_backbone_close(b);
    return st ? fk_cli_report("fid", &e) : FK_EXIT_OK;
}
