"""The papers' reported numbers, transcribed from ../shared/papers (tables cited per entry).

These are printed beside our numbers in every report table (columns `<metric>_paper`).
"""

# Diff-AE Table 2 (FFHQ-128 trained, CelebA-HQ test; SSIM / LPIPS / MSE at T = 10, 20, 50, 100).
DIFFAE_TABLE2 = {
    "DDIM (inferred x_T)": {
        "ssim": {10: 0.600, 20: 0.760, 50: 0.878, 100: 0.917},
        "lpips": {10: 0.227, 20: 0.148, 50: 0.087, 100: 0.063},
        "mse": {10: 0.019, 20: 0.008, 50: 0.003, 100: 0.002},
    },
    "Diff-AE (inferred x_T)": {
        "ssim": {10: 0.827, 20: 0.927, 50: 0.978, 100: 0.991},
        "lpips": {10: 0.078, 20: 0.050, 50: 0.023, 100: 0.011},
        "mse": {10: 0.001, 20: 0.001, 50: 0.000, 100: 0.000},
    },
    "Diff-AE a) random x_T": {
        "ssim": {10: 0.707, 20: 0.695, 50: 0.683, 100: 0.677},
        "lpips": {10: 0.085, 20: 0.078, 50: 0.074, 100: 0.073},
        "mse": {10: 0.006, 20: 0.007, 50: 0.007, 100: 0.007},
    },
}

# Diff-AE Table 2 rows b-e: random x_T, autoencoders trained on 48M images with z_sem of each width.
DIFFAE_TABLE2_ZSEM = {
    512: {"row": "b", "ssim": {10: 0.662, 20: 0.650, 50: 0.637, 100: 0.631},
          "lpips": {10: 0.102, 20: 0.096, 50: 0.093, 100: 0.092}, "mse": {10: 0.009, 20: 0.009, 50: 0.009, 100: 0.010}},
    256: {"row": "c", "ssim": {10: 0.637, 20: 0.624, 50: 0.612, 100: 0.606},
          "lpips": {10: 0.116, 20: 0.109, 50: 0.106, 100: 0.105}, "mse": {10: 0.010, 20: 0.011, 50: 0.011, 100: 0.011}},
    128: {"row": "d", "ssim": {10: 0.613, 20: 0.600, 50: 0.588, 100: 0.582},
          "lpips": {10: 0.133, 20: 0.127, 50: 0.125, 100: 0.124}, "mse": {10: 0.012, 20: 0.012, 50: 0.013, 100: 0.013}},
    64: {"row": "e", "ssim": {10: 0.551, 20: 0.538, 50: 0.527, 100: 0.521},
         "lpips": {10: 0.168, 20: 0.165, 50: 0.163, 100: 0.162}, "mse": {10: 0.018, 20: 0.019, 50: 0.020, 100: 0.020}},
}


# Diff-AE Table 1 (trained on FFHQ, tested on 30k CelebA-HQ at 128 px; T=100): latent dim, SSIM / LPIPS / MSE.
# Our rows take the T=100 column of Table 2's rows; the other methods are reference only (not reproduced).
DIFFAE_TABLE1_OURS = {
    "DDIM (inferred x_T)": {"latent_dim": 49152, "ssim": 0.917, "lpips": 0.063, "mse": 0.002},
    "Diff-AE a) random x_T": {"latent_dim": 512, "ssim": 0.677, "lpips": 0.073, "mse": 0.007},
    "Diff-AE (inferred x_T)": {"latent_dim": 49664, "ssim": 0.991, "lpips": 0.011, "mse": 6.07e-5},
}
DIFFAE_TABLE1_REFERENCE = {
    "StyleGAN2 (W inversion)": {"latent_dim": 512, "ssim": 0.677, "lpips": 0.168, "mse": 0.016},
    "StyleGAN2 (W+ inversion)": {"latent_dim": 7168, "ssim": 0.827, "lpips": 0.114, "mse": 0.006},
    "VQ-GAN": {"latent_dim": 65536, "ssim": 0.782, "lpips": 0.109, "mse": 3.61e-3},
    "VQ-VAE2": {"latent_dim": 327680, "ssim": 0.947, "lpips": 0.012, "mse": 4.87e-4},
    "NVAE": {"latent_dim": 6005760, "ssim": 0.984, "lpips": 0.001, "mse": 4.85e-5},
}

# Diff-AE Table 4: FID of unconditional samples vs 50k real images at T = 10, 20, 50, 100 (latent DDIM and decoder).
DIFFAE_TABLE4 = {
    "ffhq": {"DDIM": (29.56, 21.45, 15.08, 12.03), "Ours": (20.80, 16.70, 12.57, 10.59),
             "+ autoencoding": (14.43, 10.70, 6.69, 4.56)},
    "lsun_horse": {"DDIM": (22.17, 12.92, 7.92, 5.97), "Ours": (11.97, 9.37, 7.44, 6.71),
                   "+ autoencoding": (9.27, 6.23, 3.87, 2.92)},
    "lsun_bedroom": {"DDIM": (13.70, 9.23, 7.14, 5.94), "Ours": (10.69, 8.19, 6.50, 5.70),
                     "+ autoencoding": (6.36, 4.88, 3.61, 2.88)},
    "celeba": {"DDIM": (16.38, 12.70, 8.52, 5.83), "Ours": (12.92, 10.18, 7.05, 5.30),
               "+ autoencoding": (12.78, 9.06, 5.15, 3.11)},
}
DIFFAE_TABLE4_T = (10, 20, 50, 100)
DIFFAE_TABLE4_DATASET = {"ffhq": "FFHQ 128", "lsun_horse": "Horse 128", "lsun_bedroom": "Bedroom 128",
                         "celeba": "CelebA 64"}

# Diff-AE App. F: PPL (Eq. 10) of real-image interpolation on FFHQ, 200 pairs.
DIFFAE_PPL = {"DDIM": 2634.14, "Diff-AE": 613.73}

# Diff-AE Table 7: training throughput, images/s per V100 (DDIM, Diff-AE); "-" where the paper has none.
DIFFAE_TABLE7 = {"FFHQ-64": (160.0, 128.0), "FFHQ-128": (51.0, 41.65), "FFHQ-256": (None, 10.08),
                 "Horse-128": (51.0, 41.65), "Bedroom-128": (51.0, 41.65)}
DIFFAE_TABLE7_ROW = {"ffhq": "FFHQ-128", "lsun_horse": "Horse-128", "lsun_bedroom": "Bedroom-128"}

# DiffuseGAE Table 2 (iLab-20M, 50k evaluation GROUPs): FID / SSIM / LPIPS / MSE.
DIFFUSEGAE_TABLE2 = {
    "GZS-Net": {"fid": 100.85, "ssim": 0.345, "lpips": 0.205, "mse": 0.124},
    "Diff-AE (T=100, random x_T)": {"fid": 8.07, "ssim": 0.539, "lpips": 0.073, "mse": 0.011},
    "DiffuseGAE (T=100, random x_T)": {"fid": 8.06, "ssim": 0.549, "lpips": 0.073, "mse": 0.011},
    "DDIM (T=100)": {"fid": 10.37, "ssim": 0.912, "lpips": 0.063, "mse": 0.002},
    "DiffuseGAE (T=100, inferred x_T)": {"fid": 4.03, "ssim": 0.989, "lpips": 0.012, "mse": 8.56e-5},
}

# DiffuseGAE Table 1 (iLab-20M) "perplexity matrix": test accuracy of a linear classifier.
# Outer key: the latent part used (table row); inner key: the attribute predicted (table column).
# Read this way, each column's off-diagonal values sit near that attribute's chance 1/|A_r|
# (identity 1/6, background 1/111, pose 1/10), which is how we resolve the extracted table's layout.
DIFFUSEGAE_TABLE1 = {
    "DiffuseGAE": {"identity": {"identity": .96, "background": .019, "pose": .168},
                   "background": {"identity": .15, "background": 1.0, "pose": .14},
                   "pose": {"identity": .12, "background": .015, "pose": .99}},
    "Diff-AE": {"identity": {"identity": .90, "background": .018, "pose": .167},
                "background": {"identity": .132, "background": .91, "pose": .167},
                "pose": {"identity": .10, "background": .019, "pose": .93}},
    "GZS-Net": {"identity": {"identity": .93, "background": .020, "pose": .17},
                "background": {"identity": .133, "background": 1.0, "pose": .167},
                "pose": {"identity": .11, "background": .019, "pose": .97}},
    "AE + DS": {"identity": {"identity": .97, "background": .015, "pose": .16},
                "background": {"identity": .14, "background": 1.0, "pose": .142},
                "pose": {"identity": .14, "background": .016, "pose": .99}},
}

# Diff-AE Table 3: FID of 5k class-conditional CelebA-64 samples vs the target class; (mean, std over n = 3).
DIFFAE_TABLE3 = {
    "binary": {"Male": (11.52, 1.19), "Female": (7.29, 0.44), "Blond": (16.10, 2.00), "Non-Blond": (8.48, 0.52)},
    "PU": {"Male": (9.54, 0.54), "Female": (9.21, 0.19), "Blond": (7.01, 0.25), "Non-Blond": (7.91, 0.15)},
}
DIFFAE_TABLE3_D2C = {  # reference only (the D2C paper, n = 1)
    "binary": {"Male": 13.44, "Female": 9.51, "Blond": 17.61, "Non-Blond": 8.94},
    "PU": {"Male": 16.39, "Female": 12.21, "Blond": 10.09, "Non-Blond": 9.09},
}
DIFFAE_TABLE3_NAIVE = {"Male": 23.83, "Female": 13.64, "Blond": 25.62, "Non-Blond": 0.96}

# Diff-AE Table 8: test positives (of 9,000) and AUROC of linear classifiers on z_sem / on StyleGAN W (reference).
DIFFAE_TABLE8 = {
    "5_o_Clock_Shadow": (1318, 0.96, 0.94), "Arched_Eyebrows": (3262, 0.88, 0.86), "Attractive": (5183, 0.90, 0.86),
    "Bags_Under_Eyes": (2564, 0.89, 0.85), "Bald": (229, 0.99, 0.99), "Bangs": (1601, 0.98, 0.95),
    "Big_Lips": (3247, 0.73, 0.68), "Big_Nose": (2813, 0.88, 0.85), "Black_Hair": (1989, 0.96, 0.93),
    "Blond_Hair": (1546, 0.99, 0.97), "Blurry": (34, 0.90, 0.82), "Brown_Hair": (2087, 0.89, 0.81),
    "Bushy_Eyebrows": (1682, 0.93, 0.85), "Chubby": (622, 0.95, 0.93), "Double_Chin": (530, 0.95, 0.94),
    "Eyeglasses": (416, 1.00, 0.98), "Goatee": (688, 0.98, 0.96), "Gray_Hair": (395, 0.98, 0.97),
    "Heavy_Makeup": (4143, 0.97, 0.95), "High_Cheekbones": (4160, 0.95, 0.91), "Male": (3273, 1.00, 1.00),
    "Mouth_Slightly_Open": (4195, 0.98, 0.94), "Mustache": (502, 0.97, 0.94), "Narrow_Eyes": (998, 0.86, 0.77),
    "No_Beard": (7335, 0.99, 0.97), "Oval_Face": (1872, 0.77, 0.71), "Pale_Skin": (434, 0.96, 0.94),
    "Pointy_Nose": (2855, 0.74, 0.70), "Receding_Hairline": (777, 0.94, 0.89), "Rosy_Cheeks": (1003, 0.96, 0.92),
    "Sideburns": (747, 0.99, 0.97), "Smiling": (4175, 0.99, 0.96), "Straight_Hair": (1975, 0.84, 0.77),
    "Wavy_Hair": (3197, 0.90, 0.87), "Wearing_Earrings": (2310, 0.92, 0.86), "Wearing_Hat": (325, 0.99, 0.96),
    "Wearing_Lipstick": (5064, 0.98, 0.97), "Wearing_Necklace": (1501, 0.79, 0.75),
    "Wearing_Necktie": (636, 0.96, 0.95), "Young": (6978, 0.94, 0.91),
}
DIFFAE_TABLE8_AVERAGES = {"weighted": (0.92, 0.89), "macro": (0.93, 0.89)}   # (z_sem, StyleGAN W) as printed

# Diff-AE Table 9: manipulation FID per attribute; (Ours, StyleGAN-W reference); the real-data row has one value.
DIFFAE_TABLE9 = {
    "positive vs negative": {"Male": 95.82, "Smiling": 11.15, "Wavy_Hair": 25.04, "Young": 36.75, "Blond_Hair": 39.65},
    "manipulated vs positive": {"Male": (52.85, 42.90), "Smiling": (9.19, 18.52), "Wavy_Hair": (20.80, 27.10),
                                "Young": (20.68, 31.15), "Blond_Hair": (33.51, 33.89)},
    "manipulated vs negative": {"Male": (23.15, 66.92), "Smiling": (7.25, 22.15), "Wavy_Hair": (4.89, 20.70),
                                "Young": (11.81, 31.15), "Blond_Hair": (6.79, 27.54)},
}
# Diff-AE Table 10: mean ArcFace cosine between input and manipulation; (Ours, StyleGAN-W reference).
DIFFAE_TABLE10 = {"Male": (0.6247, 0.4174), "Smiling": (0.8160, 0.7850), "Wavy_Hair": (0.9821, 0.8544),
                  "Young": (0.8922, 0.6955)}

# DiffSiam (thesis) Table 4.1: many-shot linear accuracy (%) of the CIFAR-10-trained encoder (Aircraft, Caltech,
# Flowers, Pets: mean per-class accuracy; the rest top-1). "Avg" is the printed "Avg.", the mean of the 10 columns
# including CIFAR-10 (39.333 / 43.246 / 43.759 check out).
DIFFSIAM_TABLE4_1_COLUMNS = ("CIFAR10", "Aircraft", "Caltech", "Cars", "CIFAR100", "DTD", "Flowers", "Food", "Pets",
                             "SUN")
DIFFSIAM_TABLE4_1 = {
    "SimSiam": {"CIFAR10": 90.980, "Aircraft": 21.795, "Caltech": 54.626, "Cars": 11.479, "CIFAR100": 50.480,
                "DTD": 34.096, "Flowers": 46.285, "Food": 24.840, "Pets": 39.120, "SUN": 19.632, "Avg": 39.333},
    "DiffSiam (Seq.)": {"CIFAR10": 90.710, "Aircraft": 27.307, "Caltech": 57.467, "Cars": 15.769, "CIFAR100": 56.500,
                        "DTD": 33.670, "Flowers": 55.433, "Food": 28.824, "Pets": 43.504, "SUN": 23.280,
                        "Avg": 43.246},
    "DiffSiam (Hier.)": {"CIFAR10": 90.880, "Aircraft": 27.097, "Caltech": 60.246, "Cars": 15.271, "CIFAR100": 57.730,
                         "DTD": 35.479, "Flowers": 54.822, "Food": 29.374, "Pets": 42.545, "SUN": 24.146,
                         "Avg": 43.759},
}

# DiffSiam Table 4.2: 5-way few-shot accuracy (%), 2,000 episodes from each test split; (mean, "±") where the ± is a
# 95 % confidence interval 1.96·σ/√2000 (spec §2.8). No Flowers column, as printed. Outer key: shots.
DIFFSIAM_TABLE4_2_COLUMNS = ("CIFAR10", "Aircraft", "Caltech", "Cars", "CIFAR100", "DTD", "Food", "Pets", "SUN")
DIFFSIAM_TABLE4_2 = {
    1: {"SimSiam": {"CIFAR10": (37.44, .34), "Aircraft": (31.72, .40), "Caltech": (50.14, .51), "Cars": (27.95, .30),
                    "CIFAR100": (39.54, .42), "DTD": (31.95, .34), "Food": (29.25, .30), "Pets": (35.45, .36),
                    "SUN": (38.59, .39)},
        "DiffSiam (Seq.)": {"CIFAR10": (40.98, .34), "Aircraft": (33.52, .40), "Caltech": (56.47, .52),
                            "Cars": (28.79, .31), "CIFAR100": (45.09, .43), "DTD": (34.25, .37), "Food": (31.43, .32),
                            "Pets": (37.70, .37), "SUN": (43.56, .41)},
        "DiffSiam (Hier.)": {"CIFAR10": (43.20, .35), "Aircraft": (33.89, .42), "Caltech": (57.25, .53),
                             "Cars": (29.10, .31), "CIFAR100": (46.22, .45), "DTD": (34.59, .36), "Food": (31.59, .32),
                             "Pets": (38.13, .38), "SUN": (44.29, .42)}},
    5: {"SimSiam": {"CIFAR10": (70.48, .33), "Aircraft": (40.69, .49), "Caltech": (74.55, .42), "Cars": (36.98, .38),
                    "CIFAR100": (64.58, .42), "DTD": (47.46, .39), "Food": (43.08, .36), "Pets": (53.84, .40),
                    "SUN": (62.81, .40)},
        "DiffSiam (Seq.)": {"CIFAR10": (70.66, .32), "Aircraft": (44.30, .50), "Caltech": (78.27, .38),
                            "Cars": (38.90, .39), "CIFAR100": (68.15, .40), "DTD": (49.82, .40), "Food": (44.99, .37),
                            "Pets": (55.34, .39), "SUN": (66.01, .39)},
        "DiffSiam (Hier.)": {"CIFAR10": (74.05, .32), "Aircraft": (44.40, .51), "Caltech": (79.11, .39),
                             "Cars": (39.25, .38), "CIFAR100": (69.34, .41), "DTD": (49.76, .41), "Food": (45.22, .37),
                             "Pets": (55.90, .40), "SUN": (67.28, .39)}},
    10: {"SimSiam": {"CIFAR10": (81.74, .27), "Aircraft": (44.03, .50), "Caltech": (80.48, .35), "Cars": (41.54, .40),
                     "CIFAR100": (71.38, .39), "DTD": (53.25, .39), "Food": (48.51, .36), "Pets": (60.21, .38),
                     "SUN": (69.01, .37)},
         "DiffSiam (Seq.)": {"CIFAR10": (80.38, .27), "Aircraft": (48.09, .50), "Caltech": (83.67, .32),
                             "Cars": (43.87, .40), "CIFAR100": (74.46, .38), "DTD": (55.46, .39), "Food": (50.82, .37),
                             "Pets": (61.89, .38), "SUN": (71.68, .36)},
         "DiffSiam (Hier.)": {"CIFAR10": (82.76, .26), "Aircraft": (48.32, .51), "Caltech": (84.28, .32),
                              "Cars": (44.31, .40), "CIFAR100": (75.44, .37), "DTD": (55.28, .39), "Food": (50.89, .36),
                              "Pets": (62.28, .38), "SUN": (73.02, .36)}},
}
