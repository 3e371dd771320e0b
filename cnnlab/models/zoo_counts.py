"""Every zoo model's size and cost at its default settings, as data, so listing the zoo is instant.

`cnnlab models` used to build all 22 models to count them: 39 s on two cores, TensorFlow
imported for a table that never changes. The figures below are what `count_model` reports for
`build_model(name)`: the model's default input and classes (`MODEL_SPECS`), width 1.0.
tests/models/test_zoo_counts.py builds every model and compares; when a builder or the counting
changes, that test fails and prints this dictionary with the measured figures, to paste here.
Other settings are still counted by building the model (`count_zoo`).
"""

from __future__ import annotations

# name: (total params, trainable params, non-trainable params, MACs per image)
DEFAULT_COUNTS: dict[str, tuple[int, int, int, int]] = {
    "alexnet": (952_931, 952_835, 96, 10_954_240),
    "alexnet_separable": (866_846, 866_750, 96, 2_073_248),
    "squeezenet": (1_248_424, 1_248_424, 0, 777_221_152),
    "squeezenet_1_1": (1_235_496, 1_235_496, 0, 349_151_936),
    "mobilenet_v1": (4_253_864, 4_231_976, 21_888, 568_740_352),
    "mobilenet_v2": (3_538_984, 3_504_872, 34_112, 300_774_272),
    "mobilenet_v3_small": (2_554_968, 2_542_856, 12_112, 56_510_400),
    "mobilenet_v3_large": (5_507_432, 5_483_032, 24_400, 216_589_760),
    "efficientnet_b0": (5_330_571, 5_288_548, 42_023, 385_814_752),
    "efficientnet_b1": (7_856_239, 7_794_184, 62_055, 686_802_832),
    "efficientnet_b2": (9_177_569, 9_109_994, 67_575, 993_561_872),
    "efficientnet_b3": (12_320_535, 12_233_232, 87_303, 1_827_141_392),
    "efficientnet_b4": (19_466_823, 19_341_616, 125_207, 4_393_771_024),
    "efficientnet_b5": (30_562_527, 30_389_784, 172_743, 10_266_384_752),
    "efficientnet_b6": (43_265_143, 43_040_704, 224_439, 19_067_593_536),
    "efficientnet_b7": (66_658_687, 66_347_960, 310_727, 37_745_884_192),
    "efficientnet_lite0": (4_694_024, 4_652_008, 42_016, 385_187_552),
    "efficientnet_lite1": (5_470_344, 5_416_680, 53_664, 600_185_232),
    "efficientnet_lite2": (6_150_168, 6_092_072, 58_096, 859_736_272),
    "efficientnet_lite3": (8_273_768, 8_197_096, 76_672, 1_383_321_872),
    "efficientnet_lite4": (13_118_936, 13_006_568, 112_368, 2_553_034_336),
    "resnet50": (25_636_712, 25_583_592, 53_120, 3_857_973_248),
}
