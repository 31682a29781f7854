// The type of the vendored qrcode-generator module (what host/stage.js uses), so the web
// client's type check (`tsc -p apps/server/web`) reads this instead of the vendored source.

/** A QR code under construction (qrcode-generator 2.0.4). */
export interface QRCode {
  addData(data: string, mode?: string): void;
  make(): void;
  getModuleCount(): number;
  isDark(row: number, col: number): boolean;
}

/** A new QR code: `typeNumber` 0 picks the smallest that fits. */
declare function qrcode(typeNumber: number, errorCorrectionLevel: 'L' | 'M' | 'Q' | 'H'): QRCode;
export default qrcode;
