// `auto` on a GPU node without the NVIDIA Vulkan ICD: the notice names the GPU and what is missing.
import { afterAll, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unusedGpuNotice } from '../src/gpu-driver.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-gpu-driver-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('an NVIDIA device without a Vulkan ICD is named, with the fix; with the ICD, that it did not load; none: null', async () => {
  expect(await unusedGpuNotice(root)).toBeNull();
  fs.mkdirSync(path.join(root, 'dev'));
  fs.writeFileSync(path.join(root, 'dev', 'nvidia0'), '');
  const missing = await unusedGpuNotice(root);
  expect(missing).toContain('an NVIDIA GPU is present (/dev/nvidia0)');
  expect(missing).toContain('Vulkan has no NVIDIA driver (no nvidia_icd.json in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d)');
  expect(missing).toContain('NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics');
  fs.mkdirSync(path.join(root, 'etc', 'vulkan', 'icd.d'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'vulkan', 'icd.d', 'nvidia_icd.json'), '{}');
  expect(await unusedGpuNotice(root)).toContain('its Vulkan ICD (/etc/vulkan/icd.d/nvidia_icd.json) did not give an adapter');
});
