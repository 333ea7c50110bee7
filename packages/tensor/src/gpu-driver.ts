// Why a machine with a GPU may still have no WebGPU adapter: Dawn reaches an NVIDIA GPU through
// Vulkan, and Vulkan finds the NVIDIA driver through its ICD file (nvidia_icd.json), which many
// compute nodes and containers lack (CUDA needs no Vulkan). `auto` then trains on the CPU engine;
// this says so, naming the fix, instead of a bare "no WebGPU adapter".

const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/**
 * A sentence about an NVIDIA GPU that WebGPU could not use, or null (no NVIDIA GPU, or not on
 * Linux). `root` prefixes every path (tests give a directory laid out like /).
 */
export async function unusedGpuNotice(root = ''): Promise<string | null> {
  if (typeof process === 'undefined' || process.platform !== 'linux') return null;
  // A variable specifier keeps the viewer's bundler from resolving node:fs (this never runs in a browser).
  const specifier = 'node:fs';
  const fs = (await import(/* @vite-ignore */ specifier)) as typeof import('node:fs');
  const device = ['/dev/nvidia0', '/proc/driver/nvidia/version'].find((f) => fs.existsSync(root + f));
  if (!device) return null;
  const icds = ICD_DIRS.flatMap((dir) => {
    try {
      return fs.readdirSync(root + dir).filter((f) => /nvidia/i.test(f)).map((f) => `${dir}/${f}`);
    } catch {
      return [];
    }
  });
  const found = icds.length > 0 ? `its Vulkan ICD (${icds.join(', ')}) did not give an adapter` : `Vulkan has no NVIDIA driver (no nvidia_icd.json in ${ICD_DIRS.slice(0, 2).join(' or ')})`;
  return (
    `an NVIDIA GPU is present (${device}) but WebGPU cannot use it: ${found}. Install the driver's Vulkan ICD ` +
    '(Debian: nvidia-vulkan-icd; containers: Docker --gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics, ' +
    'Apptainer --nv with the host\'s nvidia_icd.json bound in)'
  );
}
