/**
 * The project's own demo pictures, drawn as SVG in code and rendered by librsvg, so `ai-art demo`
 * needs no download: one content picture (a house in a landscape: flat shapes, clear edges) and
 * three style pictures (swirling strokes, a tile mosaic, layered waves). Seeded: the same name,
 * size and seed give the same pixels.
 *
 * Everything is drawn in a 1000x1000 design space. The textures are scaled with "slice" (cropped
 * to the aspect ratio); the landscape fits its subject with "meet" and draws sky and ground far
 * beyond the frame, so a wide or tall picture shows more scenery rather than a cut-off house.
 */
import sharp, { type Sharp } from 'sharp';
import { toRaw, type RawImage } from './raw.js';

export type DemoSceneName = 'landscape' | 'swirls' | 'mosaic' | 'waves';

export const DEMO_SCENES: Record<DemoSceneName, { role: 'content' | 'style'; description: string }> = {
  landscape: {
    role: 'content',
    description: 'a house with a red roof, a tree, hills, mountains, clouds and the sun',
  },
  swirls: {
    role: 'style',
    description: 'bold swirling brush strokes in blues and yellows on a night-blue ground',
  },
  mosaic: { role: 'style', description: 'irregular coloured tiles with dark grout and a round medallion' },
  waves: { role: 'style', description: 'layered ocean waves in indigo and teal with white foam crests' },
};

export const DEMO_SCENE_NAMES = Object.keys(DEMO_SCENES) as DemoSceneName[];

type Rng = () => number;

function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashName(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** How far the landscape's sky and ground reach beyond the design square. */
const FAR = 20000;
const n1 = (v: number): string => (Math.round(v * 10) / 10).toString();
const between = (r: Rng, a: number, b: number): number => a + (b - a) * r();
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length) % xs.length];

function cloud(r: Rng, cx: number, cy: number, s: number): string {
  const puffs = [
    [-1.1, 0.15, 0.55],
    [-0.45, -0.2, 0.7],
    [0.35, -0.3, 0.8],
    [1.05, 0.1, 0.55],
    [0, 0.2, 0.65],
  ];
  const body = puffs
    .map(
      ([dx, dy, rr]) =>
        `<circle cx="${n1(cx + dx * s + between(r, -6, 6))}" cy="${n1(cy + dy * s)}" r="${n1(rr * s * between(r, 0.9, 1.1))}"/>`,
    )
    .join('');
  return `<g fill="#ffffff" opacity="0.95">${body}<rect x="${n1(cx - 1.2 * s)}" y="${n1(cy + 0.05 * s)}" width="${n1(2.4 * s)}" height="${n1(0.6 * s)}" rx="${n1(0.3 * s)}"/></g>`;
}

function landscape(r: Rng): string {
  const o: string[] = [];
  o.push(`<defs>
<linearGradient id="sky" gradientUnits="userSpaceOnUse" x1="0" y1="0" x2="0" y2="620"><stop offset="0" stop-color="#3d7fd1"/><stop offset="0.65" stop-color="#9fd0f2"/><stop offset="1" stop-color="#dff1fb"/></linearGradient>
<radialGradient id="halo"><stop offset="0" stop-color="#fff6c2" stop-opacity="0.9"/><stop offset="1" stop-color="#fff6c2" stop-opacity="0"/></radialGradient>
<linearGradient id="lake" gradientUnits="userSpaceOnUse" x1="0" y1="600" x2="0" y2="700"><stop offset="0" stop-color="#5aa7de"/><stop offset="1" stop-color="#2f78b7"/></linearGradient>
</defs>`);
  o.push(`<rect x="${-FAR}" y="${-FAR}" width="${2 * FAR + 1000}" height="${FAR + 700}" fill="url(#sky)"/>`);
  // sun with rays
  const sx = 735;
  const sy = 290;
  o.push(`<circle cx="${sx}" cy="${sy}" r="150" fill="url(#halo)"/>`);
  const rays: string[] = [];
  for (let i = 0; i < 12; i++) {
    const a = (i / 12) * Math.PI * 2 + 0.13;
    rays.push(
      `M${n1(sx + Math.cos(a) * 78)} ${n1(sy + Math.sin(a) * 78)}L${n1(sx + Math.cos(a) * 108)} ${n1(sy + Math.sin(a) * 108)}`,
    );
  }
  o.push(`<path d="${rays.join('')}" stroke="#ffc928" stroke-width="9" stroke-linecap="round"/>`);
  o.push(`<circle cx="${sx}" cy="${sy}" r="62" fill="#ffd23f" stroke="#f5a623" stroke-width="5"/>`);
  // clouds
  o.push(cloud(r, between(r, 250, 330), between(r, 250, 290), 48));
  o.push(cloud(r, between(r, 500, 560), between(r, 190, 220), 34));
  o.push(cloud(r, between(r, 880, 940), between(r, 380, 410), 30));
  // mountains, two tones
  const ridge = (base: number, peaks: number, hmin: number, hmax: number): string => {
    const step = 1000 / peaks;
    let d = `M${-FAR} ${base}L${-3 * peaks * step} ${base}`;
    for (let i = -3 * peaks; i < 4 * peaks; i++) {
      const x = step * (i + 0.5) + between(r, -step * 0.2, step * 0.2);
      d += `L${n1(x)} ${n1(base - between(r, hmin, hmax))}L${n1(step * (i + 1))} ${n1(base - between(r, 10, 40))}`;
    }
    return `${d}L${FAR + 1000} ${base}L${FAR + 1000} ${FAR}L${-FAR} ${FAR}Z`;
  };
  o.push(`<path d="${ridge(560, 5, 130, 210)}" fill="#8a9cc7"/>`);
  o.push(`<path d="${ridge(585, 7, 60, 120)}" fill="#6a7fb0"/>`);
  // lake, hills
  o.push(`<rect x="${-FAR}" y="600" width="${2 * FAR + 1000}" height="150" fill="url(#lake)"/>`);
  // Hills roll on past the frame: the same curve repeated every 1000 units.
  const hill = (y0: number, c: string, colour: string): string => {
    let d = `M${-FAR} ${y0}`;
    for (let k = -3; k <= 3; k++)
      d += `L${k * 1000} ${y0}${c.replace(/(-?\d+) (-?\d+)/g, (_, x: string, y: string) => `${Number(x) + k * 1000} ${y}`)}`;
    return `<path d="${d}L${FAR + 1000} ${y0}L${FAR + 1000} ${FAR}L${-FAR} ${FAR}Z" fill="${colour}"/>`;
  };
  o.push(hill(640, 'C180 560 380 600 520 630S850 580 1000 640', '#7cc450'));
  o.push(hill(740, 'C200 690 420 720 600 735S880 700 1000 740', '#4caf3e'));
  o.push(hill(830, 'C250 790 520 815 700 805S920 800 1000 830', '#3b8f32'));
  // path from the door
  o.push(
    `<path d="M432 705 C 425 780, 330 880, 260 1200 L420 1200 C 450 900, 470 780, 462 705Z" fill="#d8b476"/>`,
  );
  // house
  const hs = '#4a3222';
  o.push(`<rect x="508" y="430" width="34" height="80" fill="#8e3b2e" stroke="${hs}" stroke-width="5"/>`);
  o.push(`<rect x="330" y="540" width="240" height="170" fill="#f3e1bd" stroke="${hs}" stroke-width="6"/>`);
  o.push(
    `<path d="M305 548 L450 420 L595 548Z" fill="#c8372d" stroke="${hs}" stroke-width="6" stroke-linejoin="round"/>`,
  );
  o.push(`<circle cx="450" cy="492" r="20" fill="#9fd6f5" stroke="${hs}" stroke-width="5"/>`);
  o.push(
    `<rect x="425" y="610" width="50" height="100" fill="#7b4a2a" stroke="${hs}" stroke-width="5"/><circle cx="464" cy="662" r="5" fill="#f4c542"/>`,
  );
  for (const wx of [355, 500]) {
    o.push(`<rect x="${wx}" y="580" width="50" height="50" fill="#9fd6f5" stroke="${hs}" stroke-width="5"/>`);
    o.push(`<path d="M${wx + 25} 580V630M${wx} 605H${wx + 50}" stroke="${hs}" stroke-width="4"/>`);
  }
  // tree
  o.push(`<path d="M708 735 L716 560 L740 560 L748 735Z" fill="#6b4226" stroke="#3e2615" stroke-width="4"/>`);
  const greens = ['#1f6f2a', '#2e8b3a', '#3fa34d', '#2a7d34'];
  const blobs: string[] = [];
  for (let i = 0; i < 9; i++) {
    const a = (i / 9) * Math.PI * 2;
    blobs.push(
      `<circle cx="${n1(728 + Math.cos(a) * between(r, 45, 60))}" cy="${n1(505 + Math.sin(a) * between(r, 38, 50))}" r="${n1(between(r, 42, 56))}" fill="${greens[i % greens.length]}"/>`,
    );
  }
  blobs.push(`<circle cx="728" cy="500" r="60" fill="#2e8b3a"/>`);
  o.push(`<g stroke="#185a22" stroke-width="3">${blobs.join('')}</g>`);
  // flowers on the front hills
  const flowers: string[] = [];
  for (let i = 0; i < 160; i++) {
    const x = between(r, -600, 1600);
    const y = between(r, 845, 1000);
    if (x > 250 && x < 450) continue;
    flowers.push(
      `<circle cx="${n1(x)}" cy="${n1(y)}" r="${n1(between(r, 4, 7))}" fill="${pick(r, ['#ffffff', '#ffd23f', '#e84a5f', '#f28fb0'])}"/>`,
    );
  }
  o.push(flowers.join(''));
  return o.join('');
}

function swirls(r: Rng): string {
  const o: string[] = [];
  o.push(
    `<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#0a1a4a"/><stop offset="1" stop-color="#1f4596"/></linearGradient></defs>`,
  );
  o.push(`<rect width="1000" height="1000" fill="url(#bg)"/>`);
  const vortices = Array.from({ length: 6 }, () => ({
    x: between(r, 100, 900),
    y: between(r, 100, 900),
    s: (r() < 0.5 ? -1 : 1) * between(r, 0.6, 1.2),
    rad: between(r, 140, 260),
  }));
  const field = (x: number, y: number): [number, number] => {
    let vx = 0.35;
    let vy = 0.05 * Math.sin(x / 120);
    for (const v of vortices) {
      const dx = x - v.x;
      const dy = y - v.y;
      const f =
        (v.s * Math.exp(-(dx * dx + dy * dy) / (2 * v.rad * v.rad)) * 1.6) /
        Math.max(1, Math.hypot(dx, dy) / v.rad);
      vx += -dy * f * 0.01;
      vy += dx * f * 0.01;
    }
    const m = Math.hypot(vx, vy) || 1;
    return [vx / m, vy / m];
  };
  const palette = ['#f7d046', '#fbeaa0', '#7fb8e0', '#3f6fd0', '#e9a23b', '#ffffff', '#9cd3e6', '#2b4fb3'];
  const strokes: string[] = [];
  for (let i = 0; i < 420; i++) {
    let x = between(r, -50, 1050);
    let y = between(r, -50, 1050);
    const len = Math.floor(between(r, 12, 34));
    let d = `M${n1(x)} ${n1(y)}`;
    for (let k = 0; k < len; k++) {
      const [vx, vy] = field(x, y);
      x += vx * 9;
      y += vy * 9;
      d += `L${n1(x)} ${n1(y)}`;
    }
    const c = pick(r, palette);
    strokes.push(
      `<path d="${d}" stroke="${c}" stroke-width="${n1(between(r, 7, 15))}" stroke-opacity="${n1(between(r, 0.75, 0.95))}"/>`,
    );
  }
  o.push(`<g fill="none" stroke-linecap="round" stroke-linejoin="round">${strokes.join('')}</g>`);
  // glowing rings at the vortex centres
  for (const v of vortices.slice(0, 3)) {
    const rings: string[] = [];
    for (let k = 5; k >= 1; k--) {
      rings.push(
        `<circle cx="${n1(v.x)}" cy="${n1(v.y)}" r="${k * 14}" fill="none" stroke="${k % 2 ? '#f7d046' : '#fff4c4'}" stroke-width="8" stroke-opacity="0.9"/>`,
      );
    }
    o.push(rings.join('') + `<circle cx="${n1(v.x)}" cy="${n1(v.y)}" r="10" fill="#fffbe6"/>`);
  }
  return o.join('');
}

function mosaic(r: Rng): string {
  const N = 15;
  const step = 1000 / (N - 2);
  const pts: [number, number][][] = [];
  for (let j = 0; j <= N; j++) {
    pts.push([]);
    for (let i = 0; i <= N; i++) {
      pts[j].push([
        (i - 1) * step + between(r, -0.28, 0.28) * step,
        (j - 1) * step + between(r, -0.28, 0.28) * step,
      ]);
    }
  }
  const outer = ['#c8553d', '#f28f3b', '#ffd5c2', '#2d7f8e', '#588b8b', '#f4d35e', '#1d3557', '#e76f51'];
  const inner = ['#264653', '#2a9d8f', '#e9c46a', '#f4a261', '#e76f51', '#fefae0'];
  const o: string[] = [`<rect width="1000" height="1000" fill="#2b2320"/>`];
  const tiles: string[] = [];
  for (let j = 0; j < N; j++) {
    for (let i = 0; i < N; i++) {
      const q = [pts[j][i], pts[j][i + 1], pts[j + 1][i + 1], pts[j + 1][i]];
      const cx = q.reduce((a, p) => a + p[0], 0) / 4;
      const cy = q.reduce((a, p) => a + p[1], 0) / 4;
      const dist = Math.hypot(cx - 500, cy - 500);
      const band = Math.floor((Math.sin(cx / 160) + Math.cos(cy / 130)) * 1.6 + 4) % outer.length;
      const colour =
        dist < 270
          ? inner[Math.floor(dist / 55 + r() * 1.2) % inner.length]
          : outer[(band + (r() < 0.3 ? 1 : 0)) % outer.length];
      // Split some tiles diagonally, as a real mosaic's cut stones.
      if (r() < 0.35) {
        const c2 = dist < 270 ? pick(r, inner) : pick(r, outer);
        tiles.push(
          `<path d="M${q
            .map((p) => `${n1(p[0])} ${n1(p[1])}`)
            .slice(0, 3)
            .join('L')}Z" fill="${colour}"/>`,
        );
        tiles.push(
          `<path d="M${[q[0], q[2], q[3]].map((p) => `${n1(p[0])} ${n1(p[1])}`).join('L')}Z" fill="${c2}"/>`,
        );
      } else {
        tiles.push(`<path d="M${q.map((p) => `${n1(p[0])} ${n1(p[1])}`).join('L')}Z" fill="${colour}"/>`);
      }
    }
  }
  o.push(`<g stroke="#2b2320" stroke-width="7" stroke-linejoin="round">${tiles.join('')}</g>`);
  o.push(`<circle cx="500" cy="500" r="272" fill="none" stroke="#f4f1de" stroke-width="12"/>`);
  o.push(`<circle cx="500" cy="500" r="60" fill="#f4d35e" stroke="#2b2320" stroke-width="8"/>`);
  return o.join('');
}

function waves(r: Rng): string {
  const o: string[] = [`<rect width="1000" height="1000" fill="#f1e6cc"/>`];
  o.push(`<circle cx="${n1(between(r, 180, 300))}" cy="${n1(between(r, 150, 210))}" r="70" fill="#e4572e"/>`);
  // Light far away to dark close by, and back, so neighbouring bands always contrast.
  const colours = [
    '#5fb0d6',
    '#3d94c4',
    '#2a7ab0',
    '#1d5c8c',
    '#134074',
    '#13315c',
    '#0b2545',
    '#13315c',
    '#134074',
    '#1d5c8c',
    '#2a7ab0',
    '#3d94c4',
    '#5fb0d6',
  ];
  const bands = 13;
  for (let b = 0; b < bands; b++) {
    const base = 260 + b * 62;
    const amp = between(r, 18, 34);
    const k = between(r, 0.008, 0.014);
    const ph = between(r, 0, Math.PI * 2);
    const ph2 = between(r, 0, Math.PI * 2);
    const pts: string[] = [];
    for (let x = -20; x <= 1020; x += 10) {
      const y = base + amp * Math.sin(k * x + ph) + amp * 0.45 * Math.sin(2.7 * k * x + ph2);
      pts.push(`${x} ${n1(y)}`);
    }
    const crest = `M${pts.join('L')}`;
    o.push(`<path d="${crest}L1020 1020L-20 1020Z" fill="${colours[b % colours.length]}"/>`);
    o.push(`<path d="${crest}" fill="none" stroke="#fdfcf7" stroke-width="7" stroke-linecap="round"/>`);
    o.push(
      `<path d="${crest}" fill="none" stroke="#ffffff" stroke-width="5" stroke-dasharray="2 22" stroke-linecap="round" transform="translate(0 16)" opacity="0.85"/>`,
    );
  }
  return o.join('');
}

const DRAW: Record<DemoSceneName, { draw: (r: Rng) => string; view: string }> = {
  // The landscape's subject (sun to flowers, path to tree) lives in this square.
  landscape: { draw: landscape, view: '140 150 760 760" preserveAspectRatio="xMidYMid meet' },
  swirls: { draw: swirls, view: '0 0 1000 1000" preserveAspectRatio="xMidYMid slice' },
  mosaic: { draw: mosaic, view: '0 0 1000 1000" preserveAspectRatio="xMidYMid slice' },
  waves: { draw: waves, view: '0 0 1000 1000" preserveAspectRatio="xMidYMid slice' },
};

function checkSize(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1 || v > 8192)
    throw new RangeError(`demo scene ${what} must be an integer in 1..8192, got ${v}`);
}

/** The scene as an SVG document of the given pixel size. */
export function demoSceneSvg(name: DemoSceneName, width: number, height: number, seed = 1): string {
  const scene = DRAW[name];
  if (!scene) throw new RangeError(`unknown demo scene "${name}" (have ${DEMO_SCENE_NAMES.join(', ')})`);
  checkSize(width, 'width');
  checkSize(height, 'height');
  const body = scene.draw(mulberry32(hashName(name) ^ Math.imul(seed, 0x9e3779b1)));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="${scene.view}">${body}</svg>`;
}

export interface SceneOptions {
  /** Default 512. */
  width?: number;
  /** Default 3/4 of the width for the content scene, the width for styles. */
  height?: number;
  seed?: number;
}

function dims(name: DemoSceneName, opts: SceneOptions): { width: number; height: number } {
  const width = opts.width ?? 512;
  const height = opts.height ?? (DEMO_SCENES[name]?.role === 'content' ? Math.round(width * 0.75) : width);
  return { width, height };
}

function render(name: DemoSceneName, opts: SceneOptions): Sharp {
  const { width, height } = dims(name, opts);
  const svg = demoSceneSvg(name, width, height, opts.seed ?? 1);
  return sharp(Buffer.from(svg), { limitInputPixels: false })
    .resize(width, height, { fit: 'fill' })
    .flatten({ background: '#ffffff' });
}

export async function demoScene(name: DemoSceneName, opts: SceneOptions = {}): Promise<RawImage> {
  const { data, info } = await render(name, opts).raw().toBuffer({ resolveWithObject: true });
  return toRaw(data, info.width, info.height, 3);
}

export async function demoScenePng(name: DemoSceneName, opts: SceneOptions = {}): Promise<Buffer> {
  return render(name, opts).png().toBuffer();
}

/** Every demo scene at once, by name. */
export async function demoScenes(opts: SceneOptions = {}): Promise<Record<DemoSceneName, RawImage>> {
  const imgs = await Promise.all(DEMO_SCENE_NAMES.map((n) => demoScene(n, opts)));
  return Object.fromEntries(DEMO_SCENE_NAMES.map((n, i) => [n, imgs[i]])) as Record<DemoSceneName, RawImage>;
}
