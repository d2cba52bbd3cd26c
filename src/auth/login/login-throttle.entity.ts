import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Failed-login counter of one key (`pair:`, `address:`, `account:`) in its current window. */
@Entity({ name: 'login_throttle' })
export class LoginThrottle {
  @PrimaryColumn('text')
  key!: string;

  @Column({ name: 'window_start', type: 'timestamptz' })
  windowStart!: Date;

  @Column({ type: 'integer' })
  failures!: number;
}
