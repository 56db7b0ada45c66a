/** `ai-art studio`: the local web app (src/studio). */
import { defineCommand } from '../command.js';
import { opt, options } from '../schema.js';

export const studioCommand = defineCommand({
  name: 'studio',
  summary: 'A local web app for style transfer, fast styles, translation, layer experiments and training runs.',
  usage: 'ai-art studio [--port 7860] [--host 127.0.0.1] [--open] [--runs DIR,...] [--datasets DIR,...]',
  description:
    'Serves the studio on http://HOST:PORT. It binds 127.0.0.1 by default; another --host prints a warning, since the studio has no authentication. Jobs, uploads and results live under $AI_ART_HOME/studio and survive a restart.',
  options: options({
    port: opt.int({ default: 7860, minimum: 0, maximum: 65535, help: 'TCP port (0: any free port)' }),
    host: opt.string({ default: '127.0.0.1', help: 'address to listen on (anything but loopback exposes the studio to the network)' }),
    open: opt.bool({ help: 'open the studio in the default browser' }),
    home: opt.string({ help: 'folder for jobs, uploads and results (default: $AI_ART_HOME/studio)', path: 'dir' }),
    runs: opt.strings({ help: 'training folders the dashboard reads (default: ./checkpoints; runs started in the studio go under HOME/runs)', path: 'dir' }),
    datasets: opt.strings({ help: 'folders whose sub-folders the studio may train on (default: ./datasets)', path: 'dir' }),
  }),
});
