// @maga/model: layers, flows, group actions, models, losses, datasets, metrics and checkpoints.
// This file is the package's whole public API.
export {};
