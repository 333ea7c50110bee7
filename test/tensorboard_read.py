"""TensorBoard's own reader on an event directory (test/tensorboard.test.ts): its EventAccumulator's
scalars, images and text tensors as JSON {scalars: {tag: [[step, value]]}, images: {tag: [[step,
width, height, bytes]]}, tensors: {tag: [[step, text]]}}."""

import json
import sys

from tensorboard.backend.event_processing import event_accumulator

acc = event_accumulator.EventAccumulator(sys.argv[1], size_guidance={event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0, event_accumulator.TENSORS: 0})
acc.Reload()
tags = acc.Tags()
print(
    json.dumps(
        {
            "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
            "images": {t: [[e.step, e.width, e.height, len(e.encoded_image_string)] for e in acc.Images(t)] for t in tags["images"]},
            "tensors": {t: [[e.step, e.tensor_proto.string_val[0].decode("utf-8")] for e in acc.Tensors(t)] for t in tags["tensors"]},
        }
    )
)
