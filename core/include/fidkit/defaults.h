/* fidkit — the shared constants: defaults every front end and metric
 * agrees on, in one place. */
#ifndef FIDKIT_DEFAULTS_H
#define FIDKIT_DEFAULTS_H

/* The seed of subsets, splits and resamples: torch-fidelity's rng_seed. */
#define FK_DEFAULT_SEED 2020u

/* Bootstrap replicates: FD-type metrics (cheap per replicate) and the rest
 * (each replicate recomputes the metric in full). */
#define FK_DEFAULT_REPLICATES_FD 200
#define FK_DEFAULT_REPLICATES_OTHER 20

/* z of a two-sided 95 % normal interval (the 0.975 quantile). */
#define FK_Z95 1.959963984540054

/* The config a front end uses when none is named: the FID Inception with
 * the official weights, as pytorch-fid runs it. */
#define FK_DEFAULT_BACKBONE "inception_v3_fid"
/* The Inception Score's input: 1008 logits without the fc bias. */
#define FK_IS_DEFAULT_OUTPUT "logits_unbiased"
/* sFID's input: the ADM evaluator's spatial features. */
#define FK_SFID_OUTPUT "spatial"
/* The ADM evaluator's network: the TF graph's resize and input scaling. */
#define FK_ADM_DEFAULT_BACKBONE "inception_v3_fid_tf"
/* CLIP-Score's default: ViT-B/32, as Hessel et al. and torchmetrics use. */
#define FK_CLIPSCORE_DEFAULT_BACKBONE "clip_vit_b32"

#endif
