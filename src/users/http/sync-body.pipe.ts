import { Injectable, type PipeTransform } from '@nestjs/common';
import { parseSyncBody, type SyncInput } from '../sync-input.js';

@Injectable()
export class SyncBodyPipe implements PipeTransform<unknown, SyncInput> {
  transform(body: unknown): SyncInput {
    return parseSyncBody(body);
  }
}
