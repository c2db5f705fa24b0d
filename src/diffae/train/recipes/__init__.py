"""One module per training stage: its recipe (what is trained, with which loss) and `run(...)`, which loads the
stage's data, builds its nets, records the artifact meta and calls the loop (diffae.train.loop).

| stage (CLI command)               | module        | paper                                  |
|-----------------------------------|---------------|----------------------------------------|
| Diff-AE (`train-diffae`)          | `diffae`      | Diff-AE Eq. 6                          |
| DDIM baseline (`train-ddim`)      | `ddim`        | Diff-AE Tables 1-2, DiffuseGAE Table 2 |
| latent DDIM (`train-latent-ddim`) | `latent_ddim` | Diff-AE Eq. 9, Table 6                 |
| GAE (`train-gae`)                 | `gae`         | DiffuseGAE Eq. 10-11                   |
| fine-tuning (`finetune`)          | `finetune`    | DiffuseGAE Eq. 12                      |
| GZS-Net (`train-gzsnet`)          | `gzsnet`      | GZS-Net §3, DiffuseGAE Tables 1-2      |
| AE + DS (`train-aeds`)            | `aeds`        | DiffuseGAE Table 1                     |

`common` holds the pieces several stages share; `_loop` is the one call into the loop.
"""
