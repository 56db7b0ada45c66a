/** The value ranges an ONNX image model may work in (a module of its own so option schemas can import it without the runtime). */
export type ValueRange = 255 | 1;

/** As the command line and forms write them. */
export const VALUE_RANGES = ['255', '1'] as const;
