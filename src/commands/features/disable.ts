import {FeatureSwitch} from '../../cli/switches.js'

export default class FeaturesDisable extends FeatureSwitch {
  static description = 'disable an app feature'
  static examples = ['$ ferry features:disable preboot']
  protected readonly enable = false
}
